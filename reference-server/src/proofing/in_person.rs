//! In-person proofing at a Post Office (IV-2), in the shape of the USPS in-person proofing API:
//! participating Post Offices near a ZIP code, an enrollment (its code is what the person
//! brings), and the result once they went.

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Identity, Proofing, VendorError};

const BASE: &str = "/ivs-ippaas-api/IPPRest/resources/rest";
/// The service's name in the USPS requests.
const SOURCE_ID: &str = "SIGNIN";

/// A participating Post Office, as the person chose it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostOffice {
    pub name: String,
    pub street_address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// Opening hours, as USPS words them (`Monday to Friday: 8:00 AM - 4:30 PM`, …).
    pub hours: Vec<String>,
}

/// What the Post Office says about an enrollment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisitResult {
    /// The person has not been yet.
    Pending,
    Passed,
    Failed,
    Expired,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Facility {
    name: String,
    street_address: String,
    city: String,
    state: String,
    zip5: String,
    #[serde(default)]
    hours: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl From<Facility> for PostOffice {
    fn from(f: Facility) -> Self {
        let hours = f
            .hours
            .iter()
            .flat_map(|h| h.iter())
            .filter_map(|(day, v)| {
                let days = match day.as_str() {
                    "weekdayHours" => "Monday to Friday",
                    "saturdayHours" => "Saturday",
                    "sundayHours" => "Sunday",
                    _ => return None,
                };
                Some(format!("{days}: {}", v.as_str()?))
            })
            .collect();
        Self {
            name: f.name,
            street_address: f.street_address,
            city: f.city,
            state: f.state,
            zip: f.zip5,
            hours,
        }
    }
}

impl Proofing {
    async fn usps(
        &self,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, serde_json::Value), VendorError> {
        let response = self
            .http
            .post(self.url(&format!("{BASE}/{operation}")))
            .basic_auth(&self.config.username, Some(self.config.password.expose_secret()))
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        if status >= 500 || status == 401 || status == 403 {
            return Err(VendorError::Status(status));
        }
        Ok((status, response.json().await.map_err(|e| VendorError::Answer(e.to_string()))?))
    }

    /// The participating Post Offices near a ZIP code, nearest first.
    pub async fn post_offices(&self, zip: &str) -> Result<Vec<PostOffice>, VendorError> {
        let body =
            json!({ "sourceID": SOURCE_ID, "zipCode": zip, "streetAddress": "", "city": "", "state": "" });
        let (status, answer) = self.usps("getIppFacilityList", &body).await?;
        if status != 200 {
            return Err(VendorError::Status(status));
        }
        let offices: Vec<Facility> = serde_json::from_value(answer["postOffices"].clone())
            .map_err(|e| VendorError::Answer(format!("postOffices: {e}")))?;
        Ok(offices.into_iter().map(PostOffice::from).collect())
    }

    /// Enrolls the person (`unique_id` is the service's random name for them): the answer is
    /// the enrollment code they bring to the Post Office.
    pub async fn enroll(
        &self,
        unique_id: &str,
        identity: &Identity,
        email: &str,
    ) -> Result<String, VendorError> {
        let a = &identity.address;
        let body = json!({
            "sourceID": SOURCE_ID, "uniqueID": unique_id,
            "firstName": identity.given_name, "lastName": identity.family_name,
            "streetAddress": a.street_address, "city": a.locality, "state": a.region, "zipCode": a.postal_code,
            "emailAddress": email, "IPPAssuranceLevel": "1.5",
        });
        let (status, answer) = self.usps("optInIPPApplicant", &body).await?;
        match answer["enrollmentCode"].as_str() {
            Some(code) if status == 200 && !code.is_empty() => Ok(code.to_owned()),
            _ => Err(VendorError::Answer(format!("no enrollment code (HTTP {status}): {answer}"))),
        }
    }

    /// Whether the person went, and how it ended.
    pub async fn visit_result(&self, unique_id: &str, code: &str) -> Result<VisitResult, VendorError> {
        let body = json!({ "sourceID": SOURCE_ID, "uniqueID": unique_id, "enrollmentCode": code });
        let (status, answer) = self.usps("getProofingResults", &body).await?;
        let message = answer["responseMessage"].as_str().unwrap_or_default();
        match (status, answer["status"].as_str()) {
            (200, Some("In-person passed")) => Ok(VisitResult::Passed),
            (200, Some("In-person failed")) => Ok(VisitResult::Failed),
            (400, _) if message.contains("has not been to a post office") => Ok(VisitResult::Pending),
            (400, _) if message.contains("have passed since opt-in") => Ok(VisitResult::Expired),
            _ => Err(VendorError::Answer(format!("getProofingResults HTTP {status}: {answer}"))),
        }
    }
}
