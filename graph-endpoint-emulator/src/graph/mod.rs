pub(crate) mod entities;
pub(crate) mod profiles;
pub(crate) mod query;
pub(crate) mod reports;
pub(crate) mod seed;
pub(crate) mod uploads;
