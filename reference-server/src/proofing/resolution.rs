//! Identity resolution: does a person with this name, birth date, address and SSN exist (the
//! Instant Verify shape: `Status.TransactionStatus`, and `Items` per check).

use serde_json::json;

use super::{Identity, Proofing, VendorError};

impl Proofing {
    /// Whether the vendor finds the person.
    pub async fn resolve(&self, identity: &Identity, ssn: &str) -> Result<bool, VendorError> {
        let (year, rest) = identity.birthdate.split_once('-').unwrap_or(("", ""));
        let (month, day) = rest.split_once('-').unwrap_or(("", ""));
        let path = format!(
            "/restws/identity/v2/{}/{}/conversation",
            self.config.account, self.config.resolution_workflow
        );
        let body = json!({
            "Type": "Initiate",
            "Settings": { "Workflow": self.config.resolution_workflow },
            "Person": {
                "Name": { "FirstName": identity.given_name, "LastName": identity.family_name },
                "SSN": { "Number": ssn, "Type": "ssn9" },
                "DateOfBirth": { "Year": year, "Month": month, "Day": day },
                "Addresses": [{
                    "StreetAddress1": identity.address.street_address,
                    "City": identity.address.locality,
                    "StateCode": identity.address.region,
                    "Zip5": identity.address.postal_code,
                    "AddressUsageType": "residential",
                }],
            },
        });
        let answer = self.post(&path, &body).await?;
        match answer["Status"]["TransactionStatus"].as_str() {
            Some("passed") => Ok(true),
            Some("failed") => Ok(false),
            other => Err(VendorError::Answer(format!("TransactionStatus {other:?}"))),
        }
    }
}
