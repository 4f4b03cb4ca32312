//! Text from elsewhere, quoted in an error message: cut short so a message
//! stays readable however long what it quotes is.

use std::fmt;

/// The most bytes of text from elsewhere (a service's message, a header, a
/// reason quoting a value) that an error's `Display` or `Debug` shows of one
/// field: a message stays readable in a log line however long what it
/// quotes is. The full text stays in the error's fields.
pub const MAX_QUOTED_BYTES: usize = 300;

/// Text quoted in an error message, cut at [`MAX_QUOTED_BYTES`] (on a
/// character boundary) with a note of how much was left out.
pub(crate) struct Clipped<'a>(pub(crate) &'a str);

impl Clipped<'_> {
    /// The text kept: at most [`MAX_QUOTED_BYTES`], whole characters only.
    fn kept(&self) -> &str {
        if self.0.len() <= MAX_QUOTED_BYTES {
            return self.0;
        }
        let mut cut = MAX_QUOTED_BYTES;
        while !self.0.is_char_boundary(cut) {
            cut -= 1;
        }
        &self.0[..cut]
    }
}

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kept = self.kept();
        f.write_str(kept)?;
        if kept.len() < self.0.len() {
            write!(f, "… ({} more bytes)", self.0.len() - kept.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kept = self.kept();
        fmt::Debug::fmt(kept, f)?;
        if kept.len() < self.0.len() {
            write!(f, "… ({} more bytes)", self.0.len() - kept.len())?;
        }
        Ok(())
    }
}
