//! Document verification: front, back and selfie in; the fields read and each check's verdict
//! out (the TrueID shape: `ParameterDetails` grouped by `Group`, one `Name` each).

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Address, Identity, Images, Proofing, VendorError};

/// Why the vendor would not vouch for a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentProblem {
    /// The images could not be read (blurred, glare, not a document).
    Unreadable,
    Expired,
    /// A security feature or another check failed.
    Failed,
    /// The selfie is not the person on the document.
    SelfieMismatch,
}

impl Proofing {
    /// Sends the images and reads the verdict: the identity on the document, or the problem.
    pub async fn check_documents(
        &self,
        images: &Images,
    ) -> Result<Result<Identity, DocumentProblem>, VendorError> {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let path = format!(
            "/restws/identity/v3/accounts/{}/workflows/{}/conversations",
            self.config.account, self.config.document_workflow
        );
        let body = json!({
            "Type": "Initiate",
            "Settings": { "Type": "Initiate", "Workflow": self.config.document_workflow },
            "Document": {
                "Front": b64(&images.front),
                "Back": b64(&images.back),
                "Selfie": b64(&images.selfie),
                "DocumentType": "DriversLicense",
            },
        });
        read(&self.post(&path, &body).await?)
    }
}

fn read(answer: &Value) -> Result<Result<Identity, DocumentProblem>, VendorError> {
    let details = answer["Products"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["ProductType"] == "TrueID"))
        .and_then(|p| p["ParameterDetails"].as_array())
        .ok_or_else(|| VendorError::Answer("no TrueID product with ParameterDetails".into()))?;
    let value = |group: &str, name: &str| {
        details
            .iter()
            .find(|d| d["Group"] == group && d["Name"] == name)
            .and_then(|d| d["Values"][0]["Value"].as_str())
            .map(str::to_owned)
    };
    let doc_auth = value("AUTHENTICATION_RESULT", "DocAuthResult").unwrap_or_default();
    let face = value("PORTRAIT_MATCH_RESULT", "FaceMatchResult").unwrap_or_default();
    let expired = details.iter().any(|d| {
        d["Group"] == "AUTHENTICATION_RESULT"
            && d["Name"].as_str().is_some_and(|n| n.ends_with("_AlertName"))
            && d["Values"][0]["Value"].as_str().is_some_and(|v| v.to_ascii_lowercase().contains("expired"))
    });
    let problem = match doc_auth.as_str() {
        "Passed" if face == "Pass" => None,
        "Passed" => Some(DocumentProblem::SelfieMismatch),
        "Unknown" | "" => Some(DocumentProblem::Unreadable),
        _ if expired => Some(DocumentProblem::Expired),
        _ => Some(DocumentProblem::Failed),
    };
    if let Some(problem) = problem {
        return Ok(Err(problem));
    }
    let field = |name: &str| value("IDAUTH_FIELD_DATA", name);
    let needed = |name: &str| field(name).ok_or_else(|| VendorError::Answer(format!("{name} is missing")));
    let date = format!(
        "{:0>4}-{:0>2}-{:0>2}",
        needed("Fields_DOB_Year")?,
        needed("Fields_DOB_Month")?,
        needed("Fields_DOB_Day")?
    );
    Ok(Ok(Identity {
        given_name: needed("Fields_FirstName")?,
        family_name: needed("Fields_Surname")?,
        birthdate: date,
        address: Address {
            street_address: needed("Fields_AddressLine1")?,
            locality: needed("Fields_City")?,
            region: needed("Fields_State")?,
            postal_code: needed("Fields_PostalCode")?,
        },
        social_security_number: None,
    }))
}
