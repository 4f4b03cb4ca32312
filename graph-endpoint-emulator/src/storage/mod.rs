mod listener;

pub use listener::*;
