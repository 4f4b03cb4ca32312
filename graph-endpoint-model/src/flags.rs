//! Flags enums: a property holds a set of members, written comma-separated.

use super::Member;

/// The members a value of a flags enum holds: a set, which Graph writes as
/// the members' wire names separated by commas (`"keyEncipherment,digitalSignature"`).
///
/// A property whose type is a flags enum reads as `Flags<E>` and is set with
/// one. Members are told apart by their wire name ([`Member::as_str`]), so a
/// set holds each member once, and members the metadata does not list (kept
/// by the enum as they came, `Unrecognized(text)`) are members like the
/// others: reading a set, changing it and writing it back keeps them.
///
/// The members keep the order in which they were first inserted (for a set
/// read from a payload, the order of the payload), which is the order
/// [`iter`](Self::iter) yields and the order they are written in; equality
/// does not depend on it.
///
/// ```
/// use graph_endpoint_device_management::models::{IosScepCertificateProfile, KeyUsages};
/// use graph_endpoint_device_management::prelude::*;
/// use graph_endpoint_device_management::support::Flags;
///
/// let mut profile: IosScepCertificateProfile = serde_json::from_str(
///     r#"{"keyUsage": "digitalSignature,keyEncipherment"}"#,
/// )?;
/// let usages = profile.key_usage().unwrap();
/// assert_eq!(usages, Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]));
///
/// profile.set_key_usage(Flags::from([KeyUsages::DigitalSignature]));
/// assert_eq!(profile.object()["keyUsage"], "digitalSignature");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Flags<E> {
    /// Each member once, in the order first inserted.
    members: Vec<E>,
}

impl<E> Flags<E> {
    /// An empty set.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::<KeyUsages>::new();
    /// assert!(usages.is_empty());
    /// assert_eq!(usages.to_string(), "");
    /// ```
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Flags {
            members: Vec::new(),
        }
    }

    /// Whether the set has no member.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// assert!(Flags::<KeyUsages>::new().is_empty());
    /// assert!(!Flags::from([KeyUsages::DigitalSignature]).is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// How many members the set has.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::DigitalSignature]);
    /// assert_eq!(usages.len(), 1);
    /// ```
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The members, in the order they were first inserted.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
    /// let listed: Vec<&KeyUsages> = usages.iter().collect();
    /// assert_eq!(listed, [&KeyUsages::DigitalSignature, &KeyUsages::KeyEncipherment]);
    /// ```
    #[inline]
    pub fn iter(&self) -> std::slice::Iter<'_, E> {
        self.members.iter()
    }
}

impl<E: Member> Flags<E> {
    /// Whether `member` is in the set (members compare by wire name).
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::from([KeyUsages::DigitalSignature]);
    /// assert!(usages.contains(&KeyUsages::DigitalSignature));
    /// assert!(!usages.contains(&KeyUsages::KeyEncipherment));
    /// ```
    pub fn contains(&self, member: &E) -> bool {
        self.position(member).is_some()
    }

    /// Adds `member`, last; `false` (and the set unchanged) when it was
    /// already in it.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let mut usages = Flags::new();
    /// assert!(usages.insert(KeyUsages::DigitalSignature));
    /// assert!(!usages.insert(KeyUsages::DigitalSignature));
    /// assert_eq!(usages.len(), 1);
    /// ```
    pub fn insert(&mut self, member: E) -> bool {
        if self.contains(&member) {
            return false;
        }
        self.members.push(member);
        true
    }

    /// Removes `member`; `false` when it was not in the set. The others keep
    /// their order.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let mut usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
    /// assert!(usages.remove(&KeyUsages::DigitalSignature));
    /// assert!(!usages.remove(&KeyUsages::DigitalSignature));
    /// assert_eq!(usages, Flags::from([KeyUsages::KeyEncipherment]));
    /// ```
    pub fn remove(&mut self, member: &E) -> bool {
        match self.position(member) {
            Some(i) => {
                self.members.remove(i);
                true
            }
            None => false,
        }
    }

    fn position(&self, member: &E) -> Option<usize> {
        let name = member.as_str();
        self.members.iter().position(|m| m.as_str() == name)
    }

    /// The set a wire text holds: members separated by commas, blanks around
    /// them ignored, each member once.
    pub(super) fn from_wire(text: &str) -> Self {
        text.split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(E::parse)
            .collect()
    }

    /// The wire text: the members' wire names separated by commas.
    pub(super) fn to_wire(&self) -> String {
        let mut text = String::new();
        for (i, member) in self.members.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(member.as_str());
        }
        text
    }
}

/// An empty set, as [`Flags::new`].
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// assert_eq!(Flags::<KeyUsages>::default(), Flags::new());
/// ```
impl<E> Default for Flags<E> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

/// The members as a set: `{DigitalSignature, KeyEncipherment}`.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
/// assert_eq!(format!("{usages:?}"), "{DigitalSignature, KeyEncipherment}");
/// ```
impl<E: std::fmt::Debug> std::fmt::Debug for Flags<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(&self.members).finish()
    }
}

/// Set equality: the same members, in any order.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let one = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
/// let other = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(one, other);
/// assert_ne!(one, Flags::from([KeyUsages::KeyEncipherment]));
/// ```
impl<E: Member> PartialEq for Flags<E> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains(m))
    }
}

impl<E: Member> Eq for Flags<E> {}

/// The wire form: `"keyEncipherment,digitalSignature"`.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(usages.to_string(), "keyEncipherment,digitalSignature");
/// ```
impl<E: Member> std::fmt::Display for Flags<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_wire())
    }
}

/// Reads the wire form; never fails (an unknown member is kept as it came).
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages: Flags<KeyUsages> = "digitalSignature,somethingNew".parse().unwrap();
/// assert!(usages.contains(&KeyUsages::DigitalSignature));
/// assert!(usages.contains(&KeyUsages::Unrecognized("somethingNew".into())));
/// ```
impl<E: Member> std::str::FromStr for Flags<E> {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_wire(text))
    }
}

/// The set of the members, each once.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages: Flags<KeyUsages> = [KeyUsages::DigitalSignature, KeyUsages::DigitalSignature]
///     .into_iter()
///     .collect();
/// assert_eq!(usages.len(), 1);
/// ```
impl<E: Member> FromIterator<E> for Flags<E> {
    fn from_iter<I: IntoIterator<Item = E>>(members: I) -> Self {
        let mut set = Self::new();
        set.extend(members);
        set
    }
}

/// Inserts each member (those already in the set are skipped).
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let mut usages = Flags::from([KeyUsages::DigitalSignature]);
/// usages.extend([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(usages.to_string(), "digitalSignature,keyEncipherment");
/// ```
impl<E: Member> Extend<E> for Flags<E> {
    fn extend<I: IntoIterator<Item = E>>(&mut self, members: I) {
        for member in members {
            self.insert(member);
        }
    }
}

/// The set of the members listed, each once.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(usages.len(), 2);
/// ```
impl<E: Member, const N: usize> From<[E; N]> for Flags<E> {
    fn from(members: [E; N]) -> Self {
        members.into_iter().collect()
    }
}

/// The members, in the order they were first inserted.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment]);
/// for usage in &usages {
///     assert_eq!(usage, &KeyUsages::KeyEncipherment);
/// }
/// ```
impl<'a, E> IntoIterator for &'a Flags<E> {
    type Item = &'a E;
    type IntoIter = std::slice::Iter<'a, E>;

    fn into_iter(self) -> Self::IntoIter {
        self.members.iter()
    }
}

/// The members, taken out, in the order they were first inserted.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// let listed: Vec<KeyUsages> = usages.into_iter().collect();
/// assert_eq!(listed, [KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// ```
impl<E> IntoIterator for Flags<E> {
    type Item = E;
    type IntoIter = std::vec::IntoIter<E>;

    fn into_iter(self) -> Self::IntoIter {
        self.members.into_iter()
    }
}

/// Serialized as its wire form, a string.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(serde_json::to_string(&usages)?, r#""keyEncipherment,digitalSignature""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<E: Member> serde::Serialize for Flags<E> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

/// Deserialized from its wire form, a string.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages: Flags<KeyUsages> = serde_json::from_str(r#""digitalSignature,keyEncipherment""#)?;
/// assert_eq!(usages.len(), 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de, E: Member> serde::Deserialize<'de> for Flags<E> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Ok(Self::from_wire(&text))
    }
}
