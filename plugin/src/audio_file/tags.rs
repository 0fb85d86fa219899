//! The tags a restored file keeps from its input: title, artist and album, read from whatever
//! the input carries (ID3, Vorbis comments, MP4 atoms, RIFF INFO) and written as a FLAC Vorbis
//! comment block or a WAV `LIST`/`INFO` chunk.

use symphonia::core::meta::{StandardTagKey, Tag};

/// Title, artist and album of a file; `None` where the input has no such tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// Track title.
    pub title: Option<String>,
    /// Track artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
}

impl Tags {
    /// Whether no tag is set.
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.artist.is_none() && self.album.is_none()
    }

    /// Takes the tags Airlift keeps from a decoder's tag list; the first value of each wins,
    /// so tags found earlier in the file (an ID3v2 header) take precedence.
    pub fn absorb(&mut self, tags: &[Tag]) {
        for tag in tags {
            let slot = match tag.std_key {
                Some(StandardTagKey::TrackTitle) => &mut self.title,
                Some(StandardTagKey::Artist) => &mut self.artist,
                Some(StandardTagKey::Album) => &mut self.album,
                _ => continue,
            };
            // RIFF INFO strings end in NUL, which some readers keep.
            let text = tag.value.to_string();
            let value = text.trim_end_matches('\0').trim();
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        }
    }

    /// The tags in the order written, with their Vorbis comment field names and RIFF INFO ids.
    fn fields(&self) -> impl Iterator<Item = (&'static str, &'static [u8; 4], &str)> {
        [
            ("TITLE", b"INAM", &self.title),
            ("ARTIST", b"IART", &self.artist),
            ("ALBUM", b"IPRD", &self.album),
        ]
        .into_iter()
        .filter_map(|(name, id, value)| value.as_deref().map(|v| (name, id, v)))
    }

    /// The body of a FLAC `VORBIS_COMMENT` metadata block (type 4): little-endian lengths,
    /// a vendor string and `NAME=value` fields.
    pub fn vorbis_comment_block(&self) -> Vec<u8> {
        let vendor = concat!("Airlift ", env!("CARGO_PKG_VERSION"));
        let mut block = Vec::new();
        block.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        block.extend_from_slice(vendor.as_bytes());
        let fields: Vec<String> = self
            .fields()
            .map(|(name, _, value)| format!("{name}={value}"))
            .collect();
        block.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        for field in fields {
            block.extend_from_slice(&(field.len() as u32).to_le_bytes());
            block.extend_from_slice(field.as_bytes());
        }
        block
    }

    /// A RIFF `LIST` chunk of type `INFO`, padded as RIFF requires, or nothing when no tag is
    /// set. Values are written as UTF-8, NUL-terminated.
    pub fn riff_info_chunk(&self) -> Vec<u8> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut body = b"INFO".to_vec();
        for (_, id, value) in self.fields() {
            let mut text = value.as_bytes().to_vec();
            text.push(0);
            body.extend_from_slice(id);
            body.extend_from_slice(&(text.len() as u32).to_le_bytes());
            body.extend_from_slice(&text);
            if text.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut chunk = b"LIST".to_vec();
        chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
        chunk.extend_from_slice(&body);
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::meta::Value;

    fn tag(key: StandardTagKey, value: &str) -> Tag {
        Tag::new(Some(key), "", Value::from(value))
    }

    #[test]
    fn the_first_value_of_each_kept_tag_wins() {
        let mut tags = Tags::default();
        tags.absorb(&[
            tag(StandardTagKey::TrackTitle, "Aftermath"),
            tag(StandardTagKey::Genre, "Soundtrack"),
        ]);
        tags.absorb(&[
            tag(StandardTagKey::TrackTitle, "Other"),
            tag(StandardTagKey::Artist, "Neverland"),
        ]);
        assert_eq!(tags.title.as_deref(), Some("Aftermath"));
        assert_eq!(tags.artist.as_deref(), Some("Neverland"));
        assert_eq!(tags.album, None);
    }

    #[test]
    fn riff_info_chunk_is_padded_and_sized() {
        let tags = Tags {
            title: Some("Ab".into()),
            ..Tags::default()
        };
        let chunk = tags.riff_info_chunk();
        assert_eq!(&chunk[..4], b"LIST");
        let size = u32::from_le_bytes(chunk[4..8].try_into().unwrap()) as usize;
        assert_eq!(size, chunk.len() - 8);
        assert_eq!(&chunk[8..16], b"INFOINAM");
        assert_eq!(chunk.len() % 2, 0);
        assert!(Tags::default().riff_info_chunk().is_empty());
    }
}
