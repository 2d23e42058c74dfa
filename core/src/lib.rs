//! wsusfix-core: the engine behind `wsusfix`.
//!
//! It finds WSUS servers affected by Microsoft advisory KB954960, decides what to do about
//! each one, and does it. It never prints to a terminal: it returns data and emits events,
//! and the `wsusfix` binary renders them. See `ARCHITECTURE.md` at the repository root for
//! the map of modules and the flow of data.

pub mod about;
pub mod advisory;
pub mod apply;
pub mod assess;
pub mod audit;
pub mod change;
pub mod connector;
pub mod facts;
pub mod files;
pub mod fleet;
pub mod inventory;
pub mod outcome;
pub mod plan;
pub mod probe;
pub mod report;
pub mod safe;
pub mod scan;
pub mod shell;
pub mod ssh_config;
pub mod templates;
pub mod time;
pub mod transport;
pub mod version;
pub mod wildcard;
