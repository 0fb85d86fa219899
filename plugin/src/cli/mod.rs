//! The `airlift` command line: the engine on files. One module per command, and what they
//! share. The binary (`src/bin/airlift.rs`) only parses the arguments into the settings these
//! modules take and dispatches to them.
//!
//! - [`render`]: `airlift render`, one file or whole folders ([`batch`] plans and runs the
//!   folder jobs);
//! - [`detect`]: `airlift detect`, the band limit of each file;
//! - [`eval`]: `airlift eval`, a restoration scored against a full-band reference
//!   ([`metrics`]);
//! - [`bench`]: `airlift bench`, the speed figures of the README;
//! - [`soak`]: `airlift soak`, the engine paced in real time for hours, for the README's
//!   reliability figures;
//! - [`offline`]: a file through the engine, as the plugin would render it, for every command;
//! - [`report`]: what the commands print: words, JSON and progress.
//!
//! Nothing here runs in the plugin: the library's top level is the plugin's (engine, dsp,
//! inference, editor, params), and this module is the command line's room beside it.

pub mod batch;
pub mod bench;
pub mod detect;
pub mod eval;
pub mod metrics;
pub mod offline;
pub mod render;
pub mod report;
pub mod soak;
