//! What more than one benchmark uses: each bench declares `mod support;`.

pub mod wire;
