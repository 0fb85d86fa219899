//! Actions the editor asks of the audio thread that are not parameters (nothing to automate or
//! save): a counter the editor bumps and the audio thread compares with the last one it saw.

use std::sync::atomic::{AtomicU32, Ordering};

/// "Detect again": the editor asks for a fresh band-limit detection.
#[derive(Debug, Default)]
pub struct DetectAgain {
    /// Requests made so far (wrapping).
    requests: AtomicU32,
}

impl DetectAgain {
    /// Asks for a new detection. Called on the GUI thread.
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a request came since `seen`, which it brings up to date. Real-time safe.
    pub fn take(&self, seen: &mut u32) -> bool {
        let requests = self.requests.load(Ordering::Relaxed);
        let new = requests != *seen;
        *seen = requests;
        new
    }
}
