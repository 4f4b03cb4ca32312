//! The seed's resource's data: the in-memory androidForWorkEnrollmentProfile
//! collection, and the rules the service applies to it.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::reply::{Failure, MIN_DATE, now};

pub const ODATA_TYPE: &str = "#microsoft.graph.androidForWorkEnrollmentProfile";

const WRITABLE: &[&str] = &["displayName", "description"];
const READ_ONLY: &[&str] = &[
    "id",
    "accountId",
    "createdDateTime",
    "lastModifiedDateTime",
    "tokenValue",
    "tokenExpirationDateTime",
    "enrolledDeviceCount",
    "qrCodeContent",
    "qrCodeImage",
];

/// A 1x1 transparent PNG: the stand-in does not draw real QR codes.
const QR_PLACEHOLDER_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

pub struct Profiles {
    account_id: String,
    profiles: Vec<Map<String, Value>>,
    index: HashMap<String, usize>,
}

/// Whether `name` is a property of the resource (for `$select` checks).
pub fn is_property(name: &str) -> bool {
    WRITABLE.contains(&name) || READ_ONLY.contains(&name)
}

impl Profiles {
    pub fn new() -> Profiles {
        Profiles {
            account_id: uuid::Uuid::new_v4().to_string(),
            profiles: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The profiles in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.profiles.iter()
    }

    pub fn page(&self, skip: usize, top: usize) -> Vec<Value> {
        self.profiles
            .iter()
            .skip(skip)
            .take(top)
            .map(|p| Value::Object(p.clone()))
            .collect()
    }

    pub fn all(&self) -> Vec<Value> {
        self.page(0, usize::MAX)
    }

    pub fn get(&self, id: &str) -> Result<Value, Failure> {
        self.index
            .get(id)
            .map(|&i| Value::Object(self.profiles[i].clone()))
            .ok_or_else(|| not_found(id))
    }

    pub fn seed(&mut self, count: usize) {
        let start = self.profiles.len();
        for i in 0..count {
            let mut body = Map::new();
            body.insert(
                "displayName".into(),
                json!(format!("Seeded profile {:05}", start + i + 1)),
            );
            body.insert(
                "description".into(),
                json!("Created by the emulator's seed"),
            );
            self.insert(body);
        }
    }

    pub fn create(&mut self, body: &Value) -> Result<Value, Failure> {
        let body = as_object(body)?;
        let mut fields = Map::new();
        for (key, value) in body {
            match key.as_str() {
                "@odata.type" => check_odata_type(value)?,
                k if WRITABLE.contains(&k) => {
                    check_string(k, value)?;
                    fields.insert(key.clone(), value.clone());
                }
                // The service ignores read-only properties on create.
                k if READ_ONLY.contains(&k) => {}
                other => return Err(unknown_property(other)),
            }
        }
        Ok(self.insert(fields))
    }

    fn insert(&mut self, fields: Map<String, Value>) -> Value {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now();
        let mut profile = Map::new();
        profile.insert("@odata.type".into(), json!(ODATA_TYPE));
        profile.insert("id".into(), json!(id));
        profile.insert("accountId".into(), json!(self.account_id));
        profile.insert(
            "displayName".into(),
            fields.get("displayName").cloned().unwrap_or(Value::Null),
        );
        profile.insert(
            "description".into(),
            fields.get("description").cloned().unwrap_or(Value::Null),
        );
        profile.insert("createdDateTime".into(), json!(now));
        profile.insert("lastModifiedDateTime".into(), json!(now));
        profile.insert("tokenValue".into(), Value::Null);
        profile.insert("tokenExpirationDateTime".into(), json!(MIN_DATE));
        profile.insert("enrolledDeviceCount".into(), json!(0));
        profile.insert("qrCodeContent".into(), Value::Null);
        profile.insert("qrCodeImage".into(), Value::Null);
        self.index.insert(id, self.profiles.len());
        self.profiles.push(profile.clone());
        Value::Object(profile)
    }

    pub fn update(&mut self, id: &str, body: &Value) -> Result<Value, Failure> {
        let body = as_object(body)?;
        let &i = self.index.get(id).ok_or_else(|| not_found(id))?;
        // Check everything before changing anything.
        for (key, value) in body {
            match key.as_str() {
                "@odata.type" => check_odata_type(value)?,
                k if WRITABLE.contains(&k) => check_string(k, value)?,
                k if READ_ONLY.contains(&k) => {
                    return Err(Failure::bad_request(
                        "BadRequest",
                        format!("The property '{k}' is read-only and cannot be updated."),
                    ));
                }
                other => return Err(unknown_property(other)),
            }
        }
        let profile = &mut self.profiles[i];
        for (key, value) in body {
            if WRITABLE.contains(&key.as_str()) {
                profile.insert(key.clone(), value.clone());
            }
        }
        profile.insert("lastModifiedDateTime".into(), json!(now()));
        let updated = Value::Object(profile.clone());
        Ok(updated)
    }

    pub fn delete(&mut self, id: &str) -> Result<(), Failure> {
        let i = self.index.remove(id).ok_or_else(|| not_found(id))?;
        self.profiles.remove(i);
        for (pos, profile) in self.profiles.iter().enumerate().skip(i) {
            if let Some(Value::String(id)) = profile.get("id") {
                self.index.insert(id.clone(), pos);
            }
        }
        Ok(())
    }

    pub fn create_token(&mut self, id: &str, body: &Value) -> Result<(), Failure> {
        let &i = self.index.get(id).ok_or_else(|| not_found(id))?;
        let body = as_object(body)?;
        if let Some(other) = body.keys().find(|k| *k != "tokenValidityInSeconds") {
            return Err(Failure::bad_request(
                "BadRequest",
                format!("The parameter '{other}' is not a parameter of action 'createToken'."),
            ));
        }
        let validity = match body.get("tokenValidityInSeconds") {
            None | Some(Value::Null) => {
                return Err(Failure::bad_request(
                    "BadRequest",
                    "The parameter 'tokenValidityInSeconds' is missing: createToken needs {\"tokenValidityInSeconds\": Int32}.",
                ));
            }
            Some(v) => v
                .as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(|| {
                    Failure::bad_request(
                        "BadRequest",
                        "The parameter 'tokenValidityInSeconds' must be an Int32.",
                    )
                })?,
        };
        // The API page documents an Int32 and no bound; a validity that is not
        // positive is refused here (an assumption: see the README).
        if validity < 1 {
            return Err(Failure::bad_request(
                "BadRequest",
                format!("tokenValidityInSeconds must be positive; got {validity}."),
            ));
        }
        let token: String = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let expires = (OffsetDateTime::now_utc() + time::Duration::seconds(validity))
            .format(&Rfc3339)
            .unwrap_or_else(|_| MIN_DATE.to_owned());
        let qr = json!({
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":
                "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
            "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
                "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": token
            }
        });
        let profile = &mut self.profiles[i];
        profile.insert("tokenValue".into(), json!(token));
        profile.insert("tokenExpirationDateTime".into(), json!(expires));
        profile.insert("qrCodeContent".into(), json!(qr.to_string()));
        profile.insert(
            "qrCodeImage".into(),
            json!({"type": "image/png", "value": QR_PLACEHOLDER_PNG}),
        );
        profile.insert("lastModifiedDateTime".into(), json!(now()));
        Ok(())
    }

    pub fn revoke_token(&mut self, id: &str, body: &Value) -> Result<(), Failure> {
        let &i = self.index.get(id).ok_or_else(|| not_found(id))?;
        if as_object(body)?.keys().next().is_some() {
            return Err(Failure::bad_request(
                "BadRequest",
                "Action 'revokeToken' takes no parameters.",
            ));
        }
        let profile = &mut self.profiles[i];
        profile.insert("tokenValue".into(), Value::Null);
        profile.insert("tokenExpirationDateTime".into(), json!(MIN_DATE));
        profile.insert("qrCodeContent".into(), Value::Null);
        profile.insert("qrCodeImage".into(), Value::Null);
        profile.insert("lastModifiedDateTime".into(), json!(now()));
        Ok(())
    }
}

fn as_object(body: &Value) -> Result<&Map<String, Value>, Failure> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match body {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(EMPTY.get_or_init(Map::new)),
        _ => Err(Failure::bad_request(
            "BadRequest",
            "The request body must be a JSON object.",
        )),
    }
}

fn check_odata_type(value: &Value) -> Result<(), Failure> {
    if value.as_str() == Some(ODATA_TYPE) {
        Ok(())
    } else {
        Err(Failure::bad_request(
            "BadRequest",
            format!("'@odata.type' must be '{ODATA_TYPE}'."),
        ))
    }
}

fn check_string(key: &str, value: &Value) -> Result<(), Failure> {
    if value.is_string() || value.is_null() {
        Ok(())
    } else {
        Err(Failure::bad_request(
            "BadRequest",
            format!("The property '{key}' must be a string."),
        ))
    }
}

fn unknown_property(name: &str) -> Failure {
    Failure::bad_request(
        "BadRequest",
        format!(
            "The property '{name}' does not exist on type 'microsoft.graph.androidForWorkEnrollmentProfile'."
        ),
    )
}

fn not_found(id: &str) -> Failure {
    Failure::new(
        404,
        "itemNotFound",
        format!("androidForWorkEnrollmentProfile '{id}' was not found."),
    )
}
