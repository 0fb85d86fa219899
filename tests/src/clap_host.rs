//! A small, synchronous CLAP host for integration tests.
//!
//! [`ClapPluginHost`] loads a `.clap` bundle (on Linux simply the plugin's shared library),
//! instantiates one plugin from it, and drives it block by block from the calling thread. It exists
//! so that tests can exercise the *real* CLAP entry points of the built plugin (parameter events,
//! latency reporting, state save/restore, audio port layout) exactly as a DAW would, rather than
//! calling the plugin's Rust API directly.
//!
//! # Threading model
//!
//! Everything happens on the thread that called [`ClapPluginHost::load`]: that thread acts as the
//! CLAP main thread *and* as the audio thread. This is allowed by CLAP as long as calls never
//! overlap, and it keeps tests deterministic. [`ClapPluginHost`] is deliberately neither `Send`
//! nor `Sync`, so it cannot accidentally be moved to another thread.
//!
//! Note for nice-plug/nih-plug plugins: without the host `thread-check` extension the plugin
//! treats the thread that created the instance as its main thread, so main-thread tasks it
//! schedules (latency change, parameter rescans, ...) run synchronously inside the call that
//! scheduled them, including inside `process`.
//!
//! # Parameter values
//!
//! All parameter values exchanged with the plugin (events, [`ClapPluginHost::param_value`],
//! [`ClapPluginHost::flush_params`]) are CLAP values in the range reported by
//! [`ParamInfo::min_value`]..=[`ParamInfo::max_value`]. nice-plug reports continuous parameters
//! as `0.0..=1.0` (i.e. *normalized* values) and stepped parameters as `0.0..=step_count`.
//!
//! # Typical use
//!
//! ```ignore
//! let mut host = ClapPluginHost::load(Path::new("target/debug/libairlift.so"))?;
//! host.activate(48_000.0, 1, 512)?;
//! let gain = host.param_id("Gain")?;
//! let input = vec![0.0f32; 256];
//! let (mut l, mut r) = (vec![0.0f32; 256], vec![0.0f32; 256]);
//! host.process(&[&input, &input], &mut [&mut l, &mut r], &[(128, gain, 0.25)])?;
//! ```

// Each test binary includes this module and uses only part of its API.
#![allow(dead_code)]

use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clack_extensions::audio_ports::{
    AudioPortFlags, AudioPortInfoBuffer, AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl,
    PluginAudioPorts,
};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::events::io::{EventBuffer, InputEvents, OutputEvents};
use clack_host::events::Pckn;
use clack_host::host::{HostExtensions, HostHandlers, HostInfo, MainThreadHandler, SharedHandler};
use clack_host::plugin::{PluginInstance, PluginInstanceError};
use clack_host::process::audio_buffers::{
    AudioPortBuffer, AudioPortBufferType, AudioPorts, InputChannel,
};
use clack_host::process::{PluginAudioConfiguration, StartedPluginAudioProcessor};

/// Re-exported so callers can read a parameter's flags (bypass, stepped, ...).
pub use clack_extensions::params::ParamInfoFlags;
use clack_host::entry::PluginEntry;
/// Re-exported so callers can inspect what [`ClapPluginHost::process`] returned.
pub use clack_host::process::ProcessStatus;
/// Re-exported so callers can name parameter ids without depending on `clack-host` paths.
pub use clack_host::utils::ClapId;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Everything that can go wrong while hosting a plugin, each variant naming the step that failed
/// so that a failing test points straight at the cause.
#[derive(Debug)]
pub enum HostError {
    /// The bundle at `path` could not be loaded or its `clap_entry` failed to initialize.
    LoadEntry {
        /// Path that was passed to [`ClapPluginHost::load`].
        path: PathBuf,
        /// Description of the underlying loader error.
        message: String,
    },
    /// The entry does not expose a plugin factory (not a valid CLAP plugin library).
    NoPluginFactory,
    /// The factory lists no plugin, or none with the requested id.
    PluginNotFound(String),
    /// Building the host description failed (should never happen with the built-in strings).
    HostInfo(String),
    /// `clap_plugin_factory::create_plugin` or `clap_plugin::init` failed.
    Instantiate(PluginInstanceError),
    /// The plugin does not implement a CLAP extension this operation needs.
    MissingExtension(&'static str),
    /// The audio configuration handed to [`ClapPluginHost::activate`] is invalid.
    InvalidConfiguration(String),
    /// `activate` was called while the plugin is already active.
    AlreadyActive,
    /// An operation that needs an active plugin was called while it is inactive.
    NotActive,
    /// `clap_plugin::activate` returned false.
    Activate(PluginInstanceError),
    /// `clap_plugin::start_processing` returned false.
    StartProcessing,
    /// `clap_plugin::process` returned `CLAP_PROCESS_ERROR` (or the plugin has no process fn).
    Process(PluginInstanceError),
    /// The audio-ports extension returned inconsistent port information.
    AudioPorts(String),
    /// The buffers handed to [`ClapPluginHost::process`] do not match the plugin's ports or the
    /// activated block size.
    BufferMismatch(String),
    /// A parameter change event is invalid (sample offset outside the block).
    InvalidEvent(String),
    /// The plugin does not know this parameter id (or no parameter has this name).
    UnknownParam(String),
    /// `clap_plugin_state::save` failed.
    StateSave,
    /// `clap_plugin_state::load` failed (e.g. the plugin rejected the data).
    StateLoad,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LoadEntry { path, message } => {
                write!(
                    f,
                    "failed to load CLAP bundle {}: {message}",
                    path.display()
                )
            }
            Self::NoPluginFactory => f.write_str("CLAP entry exposes no plugin factory"),
            Self::PluginNotFound(id) => write!(f, "plugin not found in bundle: {id}"),
            Self::HostInfo(e) => write!(f, "invalid host info: {e}"),
            Self::Instantiate(e) => write!(f, "failed to instantiate plugin: {e}"),
            Self::MissingExtension(ext) => {
                write!(f, "plugin does not implement the {ext} extension")
            }
            Self::InvalidConfiguration(e) => write!(f, "invalid audio configuration: {e}"),
            Self::AlreadyActive => f.write_str("plugin is already active"),
            Self::NotActive => f.write_str("plugin is not active"),
            Self::Activate(e) => write!(f, "plugin activation failed: {e}"),
            Self::StartProcessing => f.write_str("plugin start_processing failed"),
            Self::Process(e) => write!(f, "plugin process failed: {e}"),
            Self::AudioPorts(e) => write!(f, "audio ports: {e}"),
            Self::BufferMismatch(e) => write!(f, "buffer mismatch: {e}"),
            Self::InvalidEvent(e) => write!(f, "invalid event: {e}"),
            Self::UnknownParam(p) => write!(f, "unknown parameter: {p}"),
            Self::StateSave => f.write_str("plugin failed to save its state"),
            Self::StateLoad => f.write_str("plugin failed to load the state"),
        }
    }
}

impl std::error::Error for HostError {}

// ---------------------------------------------------------------------------------------------
// Public data types
// ---------------------------------------------------------------------------------------------

/// The descriptor of the hosted plugin, copied out of the factory so that tests can assert on
/// the identity the plugin advertises to DAWs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDescriptorInfo {
    /// Reverse-DNS CLAP id (e.g. `com.example.plugin`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor string.
    pub vendor: String,
    /// Version string.
    pub version: String,
    /// CLAP feature tags (e.g. `audio-effect`, `stereo`).
    pub features: Vec<String>,
}

/// One parameter as reported by the params extension's `get_info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// CLAP parameter id, to be used in events and [`ClapPluginHost::param_value`].
    pub id: ClapId,
    /// Display name.
    pub name: String,
    /// Module path (may be empty).
    pub module: String,
    /// Minimum CLAP value (0.0 for nice-plug).
    pub min_value: f64,
    /// Maximum CLAP value (1.0, or the step count for stepped nice-plug parameters).
    pub max_value: f64,
    /// Default CLAP value.
    pub default_value: f64,
    /// Raw CLAP flags (automatable, stepped, bypass, ...).
    pub flags: ParamInfoFlags,
}

/// Requests and notifications the plugin sent to the host since the last
/// [`ClapPluginHost::take_host_requests`] call. The host only records them; tests decide whether
/// they matter (e.g. nice-plug requests a restart when its latency changes during activation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostRequests {
    /// `clap_host::request_restart` was called.
    pub restart: bool,
    /// `clap_host::request_process` was called.
    pub process: bool,
    /// `clap_host::request_callback` was called (the host already ran `on_main_thread`).
    pub callback: bool,
    /// `clap_host_params::request_flush` was called.
    pub params_flush: bool,
    /// `clap_host_params::rescan` was called.
    pub params_rescan: bool,
    /// `clap_host_latency::changed` was called.
    pub latency_changed: bool,
    /// `clap_host_state::mark_dirty` was called.
    pub state_dirty: bool,
    /// `clap_host_audio_ports::rescan` was called.
    pub audio_ports_rescan: bool,
}

// ---------------------------------------------------------------------------------------------
// Host callback handlers (private)
// ---------------------------------------------------------------------------------------------

/// Marker type tying the handler types together for clack.
struct TestHost;

/// Thread-safe callbacks: only record flags.
#[derive(Default)]
struct SharedFlags {
    restart: AtomicBool,
    process: AtomicBool,
    callback: AtomicBool,
    params_flush: AtomicBool,
}

impl SharedHandler<'_> for SharedFlags {
    fn request_restart(&self) {
        self.restart.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {
        self.process.store(true, Ordering::SeqCst);
    }
    fn request_callback(&self) {
        self.callback.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplShared for SharedFlags {
    fn request_flush(&self) {
        self.params_flush.store(true, Ordering::SeqCst);
    }
}

/// Main-thread callbacks: only record flags.
#[derive(Default)]
struct MainThreadFlags {
    params_rescan: Cell<bool>,
    latency_changed: Cell<bool>,
    state_dirty: Cell<bool>,
    audio_ports_rescan: Cell<bool>,
}

impl MainThreadHandler<'_> for MainThreadFlags {}

impl HostLatencyImpl for MainThreadFlags {
    fn changed(&self) {
        self.latency_changed.set(true);
    }
}

impl HostStateImpl for MainThreadFlags {
    fn mark_dirty(&self) {
        self.state_dirty.set(true);
    }
}

impl HostParamsImplMainThread for MainThreadFlags {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.params_rescan.set(true);
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostAudioPortsImpl for MainThreadFlags {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        true
    }
    fn rescan(&self, _flags: AudioPortRescanFlags) {
        self.audio_ports_rescan.set(true);
    }
}

impl HostHandlers for TestHost {
    type Shared<'a> = SharedFlags;
    type MainThread<'a> = MainThreadFlags;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLatency>()
            .register::<HostState>()
            .register::<HostParams>()
            .register::<HostAudioPorts>();
    }
}

/// Channel layout of one direction (inputs or outputs) of the plugin.
#[derive(Debug, Default, Clone)]
struct PortLayout {
    /// Channel count of each port, in port order.
    channels: Vec<u32>,
    /// Index of the port flagged `CLAP_AUDIO_PORT_IS_MAIN`, if any.
    main: Option<usize>,
}

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

/// A loaded and instantiated CLAP plugin, driven synchronously from the test thread.
///
/// Lifecycle: [`load`](Self::load) → [`activate`](Self::activate) (also starts processing) →
/// any number of [`process`](Self::process) calls → [`deactivate`](Self::deactivate) (or drop).
/// Parameters, state and latency can be queried in any state where CLAP allows it.
pub struct ClapPluginHost {
    // Field order matters for drop order: the processor must be gone (see `Drop`) before the
    // instance, and the instance before the entry that keeps the library loaded.
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    instance: PluginInstance<TestHost>,
    _entry: PluginEntry,
    descriptor: PluginDescriptorInfo,
    latency_ext: Option<PluginLatency>,
    params_ext: Option<PluginParams>,
    state_ext: Option<PluginState>,
    audio_ports_ext: Option<PluginAudioPorts>,
    inputs: PortLayout,
    outputs: PortLayout,
    /// Host-owned copies of every input port, `[port][channel][frame]`, sized to `max_frames`.
    input_scratch: Vec<Vec<Vec<f32>>>,
    /// Host-owned buffers for every non-main output port, `[port][channel][frame]`.
    output_scratch: Vec<Vec<Vec<f32>>>,
    input_ports: AudioPorts,
    output_ports: AudioPorts,
    in_events: EventBuffer,
    out_events: EventBuffer,
    sample_rate: f64,
    max_frames: u32,
    steady_time: u64,
    /// A `request_callback` was serviced since the last `take_host_requests`.
    callback_seen: bool,
}

impl ClapPluginHost {
    /// Loads the bundle at `path` and instantiates the *first* plugin its factory lists.
    ///
    /// This runs foreign code from the library (its `clap_entry`), which is the whole point of
    /// the harness; only load libraries built from this repository.
    pub fn load(path: &Path) -> Result<Self, HostError> {
        Self::load_plugin(path, None)
    }

    /// Like [`load`](Self::load) but instantiates the plugin with CLAP id `plugin_id`, for
    /// bundles that export several plugins. `None` picks the first one.
    pub fn load_plugin(path: &Path, plugin_id: Option<&str>) -> Result<Self, HostError> {
        // SAFETY: loading a plugin library runs its initializers and `clap_entry::init`. We trust
        // the library under test; this is inherent to hosting a plugin.
        let entry = unsafe { PluginEntry::load(path) }.map_err(|e| HostError::LoadEntry {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let factory = entry
            .get_plugin_factory()
            .ok_or(HostError::NoPluginFactory)?;

        let raw_descriptor = factory
            .plugin_descriptors()
            .find(|d| match plugin_id {
                None => true,
                Some(wanted) => d.id().is_some_and(|id| id.to_bytes() == wanted.as_bytes()),
            })
            .ok_or_else(|| HostError::PluginNotFound(plugin_id.unwrap_or("<any>").to_owned()))?;
        let cstr = |s: Option<&CStr>| {
            s.map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let descriptor = PluginDescriptorInfo {
            id: cstr(raw_descriptor.id()),
            name: cstr(raw_descriptor.name()),
            vendor: cstr(raw_descriptor.vendor()),
            version: cstr(raw_descriptor.version()),
            features: raw_descriptor
                .features()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        };
        let id_c = CString::new(descriptor.id.clone())
            .map_err(|_| HostError::PluginNotFound(descriptor.id.clone()))?;

        let host_info = HostInfo::new(
            "Airlift test host",
            "Airlift",
            "https://example.invalid/airlift",
            env!("CARGO_PKG_VERSION"),
        )
        .map_err(|e| HostError::HostInfo(e.to_string()))?;

        let instance = PluginInstance::<TestHost>::new(
            |_| SharedFlags::default(),
            |_| MainThreadFlags::default(),
            &entry,
            &id_c,
            &host_info,
        )
        .map_err(HostError::Instantiate)?;

        let shared = instance.plugin_shared_handle();
        let latency_ext = shared.get_extension::<PluginLatency>();
        let params_ext = shared.get_extension::<PluginParams>();
        let state_ext = shared.get_extension::<PluginState>();
        let audio_ports_ext = shared.get_extension::<PluginAudioPorts>();

        let mut host = Self {
            processor: None,
            instance,
            _entry: entry,
            descriptor,
            latency_ext,
            params_ext,
            state_ext,
            audio_ports_ext,
            inputs: PortLayout::default(),
            outputs: PortLayout::default(),
            input_scratch: Vec::new(),
            output_scratch: Vec::new(),
            input_ports: AudioPorts::with_capacity(0, 0),
            output_ports: AudioPorts::with_capacity(0, 0),
            in_events: EventBuffer::with_capacity(64),
            out_events: EventBuffer::with_capacity(64),
            sample_rate: 0.0,
            max_frames: 0,
            steady_time: 0,
            callback_seen: false,
        };
        host.refresh_audio_ports()?;
        // Let the plugin run anything it scheduled during init.
        host.run_main_thread_callback();
        Ok(host)
    }

    /// The descriptor (id, name, vendor, version, features) of the hosted plugin.
    pub fn descriptor(&self) -> &PluginDescriptorInfo {
        &self.descriptor
    }

    /// Channel count of the main input port (0 if the plugin has none), from audio-ports.
    /// This is the number of slices [`process`](Self::process) expects in `inputs`.
    pub fn main_input_channels(&self) -> u32 {
        self.inputs.main.map_or(0, |i| self.inputs.channels[i])
    }

    /// Channel count of the main output port (0 if the plugin has none), from audio-ports.
    /// This is the number of slices [`process`](Self::process) expects in `outputs`.
    pub fn main_output_channels(&self) -> u32 {
        self.outputs.main.map_or(0, |i| self.outputs.channels[i])
    }

    /// Whether the plugin is currently activated (and processing).
    pub fn is_active(&self) -> bool {
        self.processor.is_some()
    }

    /// Sample rate of the current activation, or 0.0 when inactive.
    pub fn sample_rate(&self) -> f64 {
        if self.is_active() {
            self.sample_rate
        } else {
            0.0
        }
    }

    /// Largest block [`process`](Self::process) accepts in the current activation.
    pub fn max_frames(&self) -> u32 {
        self.max_frames
    }

    /// Activates the plugin with the given audio configuration and starts processing.
    ///
    /// Re-reads the audio-port layout first (it may only change while inactive) and allocates
    /// all host-side buffers, so `process` does no port queries. Fails with
    /// [`HostError::AlreadyActive`] if already active; call [`deactivate`](Self::deactivate)
    /// first to change the configuration.
    pub fn activate(
        &mut self,
        sample_rate: f64,
        min_frames: u32,
        max_frames: u32,
    ) -> Result<(), HostError> {
        if self.processor.is_some() {
            return Err(HostError::AlreadyActive);
        }
        // clack panics on these; report them as errors instead.
        if min_frames == 0 || max_frames == 0 || min_frames > max_frames {
            return Err(HostError::InvalidConfiguration(format!(
                "need 1 <= min_frames ({min_frames}) <= max_frames ({max_frames})"
            )));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(HostError::InvalidConfiguration(format!(
                "sample rate {sample_rate}"
            )));
        }
        self.refresh_audio_ports()?;

        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: min_frames,
            max_frames_count: max_frames,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .map_err(HostError::Activate)?;
        let started = match stopped.start_processing() {
            Ok(started) => started,
            Err(e) => {
                self.instance.deactivate(e.into_stopped_processor());
                return Err(HostError::StartProcessing);
            }
        };

        let frames = max_frames as usize;
        let alloc = |layout: &PortLayout| -> Vec<Vec<Vec<f32>>> {
            layout
                .channels
                .iter()
                .map(|&ch| vec![vec![0.0f32; frames]; ch as usize])
                .collect()
        };
        self.input_scratch = alloc(&self.inputs);
        self.output_scratch = alloc(&self.outputs);
        let total =
            |layout: &PortLayout| layout.channels.iter().map(|&c| c as usize).sum::<usize>();
        self.input_ports =
            AudioPorts::with_capacity(total(&self.inputs), self.inputs.channels.len());
        self.output_ports =
            AudioPorts::with_capacity(total(&self.outputs), self.outputs.channels.len());

        self.processor = Some(started);
        self.sample_rate = sample_rate;
        self.max_frames = max_frames;
        self.steady_time = 0;
        self.run_main_thread_callback();
        Ok(())
    }

    /// Stops processing and deactivates the plugin. Does nothing if it is not active.
    pub fn deactivate(&mut self) {
        if let Some(started) = self.processor.take() {
            let stopped = started.stop_processing();
            self.instance.deactivate(stopped);
            self.run_main_thread_callback();
        }
    }

    /// The plugin's current latency in samples, via the latency extension.
    ///
    /// Query it after [`activate`](Self::activate): CLAP plugins may only change their latency
    /// during activation.
    pub fn latency_samples(&mut self) -> Result<u32, HostError> {
        let ext = self
            .latency_ext
            .ok_or(HostError::MissingExtension("latency"))?;
        Ok(ext.get(&self.instance.plugin_handle()))
    }

    /// All parameters the plugin declares (empty if it has no params extension).
    pub fn params(&mut self) -> Vec<ParamInfo> {
        let Some(ext) = self.params_ext else {
            return Vec::new();
        };
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|index| {
                ext.get_info(&handle, index, &mut buffer)
                    .map(|info| ParamInfo {
                        id: info.id,
                        name: String::from_utf8_lossy(info.name).into_owned(),
                        module: String::from_utf8_lossy(info.module).into_owned(),
                        min_value: info.min_value,
                        max_value: info.max_value,
                        default_value: info.default_value,
                        flags: info.flags,
                    })
            })
            .collect()
    }

    /// The parameter whose display name is exactly `name`, if any.
    pub fn param_by_name(&mut self, name: &str) -> Option<ParamInfo> {
        self.params().into_iter().find(|p| p.name == name)
    }

    /// The CLAP id of the parameter named `name`, or [`HostError::UnknownParam`].
    pub fn param_id(&mut self, name: &str) -> Result<ClapId, HostError> {
        self.param_by_name(name)
            .map(|p| p.id)
            .ok_or_else(|| HostError::UnknownParam(name.to_owned()))
    }

    /// Current CLAP value of parameter `id`, via the params extension's `get_value`.
    pub fn param_value(&mut self, id: ClapId) -> Result<f64, HostError> {
        let ext = self
            .params_ext
            .ok_or(HostError::MissingExtension("params"))?;
        ext.get_value(&self.instance.plugin_handle(), id)
            .ok_or_else(|| HostError::UnknownParam(format!("id {id}")))
    }

    /// Sets parameters outside of `process`, via the params extension's `flush`.
    ///
    /// Each change is `(id, CLAP value)` and is sent as a param-value event at time 0. Works while
    /// inactive (main-thread flush) and while active between `process` calls (audio-thread flush,
    /// which CLAP permits as long as it does not overlap `process`). Events the plugin emits in
    /// response are discarded.
    pub fn flush_params(&mut self, changes: &[(ClapId, f64)]) -> Result<(), HostError> {
        let ext = self
            .params_ext
            .ok_or(HostError::MissingExtension("params"))?;
        self.in_events.clear();
        self.out_events.clear();
        for &(id, value) in changes {
            self.in_events
                .push(&ParamValueEvent::new(0, id, Pckn::match_all(), value));
        }
        let input = InputEvents::from_buffer(&self.in_events);
        let mut output = OutputEvents::from_buffer(&mut self.out_events);
        match self.processor.as_mut() {
            Some(processor) => {
                ext.flush_active(&mut processor.plugin_handle(), &input, &mut output)
            }
            None => {
                let mut handle = self
                    .instance
                    .inactive_plugin_handle()
                    .ok_or(HostError::AlreadyActive)?;
                ext.flush(&mut handle, &input, &mut output);
            }
        }
        self.in_events.clear();
        self.out_events.clear();
        self.run_main_thread_callback();
        Ok(())
    }

    /// Processes ONE block of audio through the plugin.
    ///
    /// * `inputs`: one slice per channel of the main input port (see
    ///   [`main_input_channels`](Self::main_input_channels)); copied into host buffers.
    /// * `outputs`: one slice per channel of the main output port (see
    ///   [`main_output_channels`](Self::main_output_channels)); the plugin writes into them.
    /// * `param_changes`: `(sample offset, parameter id, CLAP value)` delivered as
    ///   `CLAP_EVENT_PARAM_VALUE` events in the block's input event list (sorted by offset, so
    ///   they may be given in any order). Offsets must be `< block length`.
    ///
    /// All slices must have the same length, between 1 and `max_frames`; that length is the
    /// block size. Auxiliary ports are fed silence / written to scratch buffers, because CLAP
    /// requires the host to supply every declared port. Output events are discarded. Fails with
    /// [`HostError::NotActive`] before [`activate`](Self::activate).
    pub fn process(
        &mut self,
        inputs: &[&[f32]],
        outputs: &mut [&mut [f32]],
        param_changes: &[(u32, ClapId, f64)],
    ) -> Result<ProcessStatus, HostError> {
        if self.processor.is_none() {
            return Err(HostError::NotActive);
        }
        let want_in = self.main_input_channels() as usize;
        let want_out = self.main_output_channels() as usize;
        if inputs.len() != want_in || outputs.len() != want_out {
            return Err(HostError::BufferMismatch(format!(
                "got {} input / {} output channels, plugin main ports have {want_in} / {want_out}",
                inputs.len(),
                outputs.len()
            )));
        }
        let frames = match (inputs.first(), outputs.first()) {
            (_, Some(o)) => o.len(),
            (Some(i), None) => i.len(),
            (None, None) => {
                return Err(HostError::BufferMismatch(
                    "plugin has no main ports; block length unknown".into(),
                ));
            }
        };
        if inputs.iter().any(|c| c.len() != frames) || outputs.iter().any(|c| c.len() != frames) {
            return Err(HostError::BufferMismatch(
                "channel slices differ in length".into(),
            ));
        }
        if frames == 0 || frames > self.max_frames as usize {
            return Err(HostError::BufferMismatch(format!(
                "block of {frames} frames, activated for 1..={}",
                self.max_frames
            )));
        }

        // Events: CLAP requires the input list sorted by time.
        let mut sorted: Vec<(u32, ClapId, f64)> = param_changes.to_vec();
        sorted.sort_by_key(|&(offset, _, _)| offset);
        self.in_events.clear();
        self.out_events.clear();
        for &(offset, id, value) in &sorted {
            if offset as usize >= frames {
                return Err(HostError::InvalidEvent(format!(
                    "param {id} change at offset {offset} in a block of {frames} frames"
                )));
            }
            self.in_events
                .push(&ParamValueEvent::new(offset, id, Pckn::match_all(), value));
        }

        // Inputs: copy the main port, silence the others.
        for (port, channels) in self.input_scratch.iter_mut().enumerate() {
            for (ch, buf) in channels.iter_mut().enumerate() {
                if Some(port) == self.inputs.main {
                    buf[..frames].copy_from_slice(inputs[ch]);
                } else {
                    buf[..frames].fill(0.0);
                }
            }
        }

        let main_out = self.outputs.main;
        let mut user_outputs: Option<Vec<&mut [f32]>> =
            Some(outputs.iter_mut().map(|s| &mut **s).collect());
        let mut out_channels: Vec<Vec<&mut [f32]>> = Vec::with_capacity(self.output_scratch.len());
        for (port, channels) in self.output_scratch.iter_mut().enumerate() {
            if Some(port) == main_out {
                out_channels.push(user_outputs.take().unwrap_or_default());
            } else {
                out_channels.push(channels.iter_mut().map(|c| &mut c[..frames]).collect());
            }
        }

        let input_buffers = self
            .input_ports
            .with_input_buffers(self.input_scratch.iter_mut().map(|channels| {
                AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_input_only(
                        channels
                            .iter_mut()
                            .map(|c| InputChannel::variable(&mut c[..frames])),
                    ),
                }
            }));
        let mut output_buffers =
            self.output_ports
                .with_output_buffers(out_channels.into_iter().map(|channels| AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_output_only(channels.into_iter()),
                }));

        let input_events = InputEvents::from_buffer(&self.in_events);
        let mut output_events = OutputEvents::from_buffer(&mut self.out_events);
        let processor = self.processor.as_mut().ok_or(HostError::NotActive)?;
        let status = processor
            .process(
                &input_buffers,
                &mut output_buffers,
                &input_events,
                &mut output_events,
                Some(self.steady_time),
                None,
            )
            .map_err(HostError::Process)?;
        self.steady_time += frames as u64;
        self.in_events.clear();
        self.out_events.clear();
        self.run_main_thread_callback();
        Ok(status)
    }

    /// Serializes the plugin's full state via the state extension.
    pub fn save_state(&mut self) -> Result<Vec<u8>, HostError> {
        let ext = self.state_ext.ok_or(HostError::MissingExtension("state"))?;
        let mut data = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut data)
            .map_err(|_| HostError::StateSave)?;
        Ok(data)
    }

    /// Restores a state previously produced by [`save_state`](Self::save_state) (of this or
    /// another instance of the same plugin), via the state extension.
    pub fn load_state(&mut self, data: &[u8]) -> Result<(), HostError> {
        let ext = self.state_ext.ok_or(HostError::MissingExtension("state"))?;
        let mut reader = data;
        ext.load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|_| HostError::StateLoad)?;
        self.run_main_thread_callback();
        Ok(())
    }

    /// Returns and clears the requests/notifications the plugin sent since the last call.
    pub fn take_host_requests(&mut self) -> HostRequests {
        let (restart, process, callback, params_flush) = self.instance.access_shared_handler(|s| {
            (
                s.restart.swap(false, Ordering::SeqCst),
                s.process.swap(false, Ordering::SeqCst),
                s.callback.swap(false, Ordering::SeqCst),
                s.params_flush.swap(false, Ordering::SeqCst),
            )
        });
        let (params_rescan, latency_changed, state_dirty, audio_ports_rescan) =
            self.instance.access_handler(|m| {
                (
                    m.params_rescan.replace(false),
                    m.latency_changed.replace(false),
                    m.state_dirty.replace(false),
                    m.audio_ports_rescan.replace(false),
                )
            });
        // `run_main_thread_callback` consumes the raw flag to know when to call
        // `on_main_thread`, so serviced requests are latched in `callback_seen`.
        let callback = callback || std::mem::take(&mut self.callback_seen);
        HostRequests {
            restart,
            process,
            callback,
            params_flush,
            params_rescan,
            latency_changed,
            state_dirty,
            audio_ports_rescan,
        }
    }

    /// If the plugin asked for a main-thread callback, runs `clap_plugin::on_main_thread` now
    /// (a real host would do this from its event loop).
    fn run_main_thread_callback(&mut self) {
        let requested = self
            .instance
            .access_shared_handler(|s| s.callback.swap(false, Ordering::SeqCst));
        if requested {
            self.callback_seen = true;
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Re-reads the audio-port layout (must be called while inactive).
    fn refresh_audio_ports(&mut self) -> Result<(), HostError> {
        let Some(ext) = self.audio_ports_ext else {
            // No audio-ports extension means no audio ports at all.
            self.inputs = PortLayout::default();
            self.outputs = PortLayout::default();
            return Ok(());
        };
        let handle = self.instance.plugin_handle();
        let read = |is_input: bool| -> Result<PortLayout, HostError> {
            let mut layout = PortLayout::default();
            let mut buffer = AudioPortInfoBuffer::new();
            for index in 0..ext.count(&handle, is_input) {
                let info = ext
                    .get(&handle, index, is_input, &mut buffer)
                    .ok_or_else(|| {
                        HostError::AudioPorts(format!(
                            "get({index}, {}) failed",
                            if is_input { "input" } else { "output" }
                        ))
                    })?;
                if info.flags.contains(AudioPortFlags::IS_MAIN) && layout.main.is_none() {
                    layout.main = Some(index as usize);
                }
                layout.channels.push(info.channel_count);
            }
            Ok(layout)
        };
        let inputs = read(true)?;
        let outputs = read(false)?;
        self.inputs = inputs;
        self.outputs = outputs;
        Ok(())
    }
}

impl Drop for ClapPluginHost {
    /// Deactivates before the instance is destroyed; clack would otherwise leak the instance.
    fn drop(&mut self) {
        self.deactivate();
    }
}

/// Loads the shared library at `path` and never unloads it. Tests that run several hosts on
/// several threads need this: the plugin registers thread-local destructors, and a thread that
/// exits after the last host unloaded the library would run code that is gone.
pub fn pin_library(path: &Path) -> Result<(), HostError> {
    // SAFETY: loading the plugin library runs its initializers, as loading it through the CLAP
    // entry does anyway; the handle is leaked on purpose so it is never closed.
    let library =
        unsafe { libloading::Library::new(path) }.map_err(|error| HostError::LoadEntry {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
    std::mem::forget(library);
    Ok(())
}
