//! What a podcaster sends to create or change a show, and the rules its fields keep (the
//! README's limits table lists them).

use event_schemas::podcasts::{Funding, Person, ShowDetails, ShowType};
use serde::{Deserialize, Serialize};
use shared_kernel::TextRule;
use utoipa::ToSchema;

use crate::domain::categories::apple_category;
use crate::domain::rules::{
    description, double_option, email, language, not_null, optional_text, optional_url, text, url,
};

pub const TITLE: TextRule = TextRule::line("title", 1, 255);
pub const AUTHOR: TextRule = TextRule::line("author", 1, 255);
pub const COPYRIGHT: TextRule = TextRule::line("copyright", 0, 255);
pub const OWNER_NAME: TextRule = TextRule::line("owner_name", 1, 255);
pub const FUNDING_TITLE: TextRule = TextRule::line("funding.title", 1, 128);
pub const PERSON_NAME: TextRule = TextRule::line("persons.name", 1, 128);
pub const PERSON_ROLE: TextRule = TextRule::line("persons.role", 1, 64);
/// At most this many funding links and persons on a show.
pub const MAX_FUNDING: usize = 10;
pub const MAX_PERSONS: usize = 50;

/// A `podcast:funding` link as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingInput {
    /// `http(s)://`.
    pub url: String,
    /// 1 to 128 characters.
    pub title: String,
}

/// A `podcast:person` as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// 1 to 128 characters.
    pub name: String,
    /// `host`, `guest`, `producer`... (the Podcasting 2.0 taxonomy, lower case); default `host`.
    #[serde(default)]
    pub role: Option<String>,
    /// A page about the person (`http(s)://`).
    #[serde(default)]
    pub href: Option<String>,
}

/// A new show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Chess Talk", "description": "<p>Openings, endgames and the people who play them.</p>",
    "author": "Ada Lovelace", "language": "en-GB", "category": "Leisure", "subcategory": "Games",
    "explicit": false, "image_url": "https://cdn.example.org/chess-talk.jpg",
    "owner_email": "ada@example.org", "show_type": "episodic", "locked": true
}))]
pub struct ShowInput {
    /// 1 to 255 characters.
    pub title: String,
    /// Plain text or HTML (cleaned of scripts and styles), 1 to 4,000 bytes once cleaned.
    pub description: String,
    /// 1 to 255 characters.
    pub author: String,
    /// BCP 47 (`en`, `en-GB`, `fr-CA`).
    pub language: String,
    /// One of Apple Podcasts' categories (`Technology`, `Leisure`, ...).
    pub category: String,
    /// One of the category's subcategories (`Games` under `Leisure`).
    #[serde(default)]
    pub subcategory: Option<String>,
    #[serde(default)]
    pub explicit: bool,
    /// The artwork (`http(s)://`; Apple wants a square JPEG or PNG of 1400 to 3000 pixels).
    pub image_url: String,
    /// The show's website (`http(s)://`); the feed links to the show's API page without one.
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub copyright: Option<String>,
    #[serde(default)]
    pub owner_name: Option<String>,
    /// `itunes:owner` (and `podcast:locked`'s owner).
    #[serde(default)]
    pub owner_email: Option<String>,
    #[serde(default)]
    pub show_type: ShowType,
    /// `podcast:locked`: other hosting platforms must not import the feed.
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub funding: Vec<FundingInput>,
    #[serde(default)]
    pub persons: Vec<PersonInput>,
}

/// A change of a show: the fields present are changed, `null` clears an optional one (and is
/// refused for a required one, naming the field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowPatch {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub description: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub author: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub language: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub category: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub subcategory: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub explicit: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub image_url: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub link: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub copyright: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub owner_name: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub owner_email: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub show_type: Option<ShowType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub locked: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub funding: Option<Vec<FundingInput>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub persons: Option<Vec<PersonInput>>,
}

fn funding(items: &[FundingInput]) -> Result<Vec<Funding>, String> {
    if items.len() > MAX_FUNDING {
        return Err(format!("at most {MAX_FUNDING} funding links"));
    }
    items
        .iter()
        .map(|f| {
            Ok(Funding {
                url: url("funding.url", &f.url)?,
                title: text(FUNDING_TITLE, &f.title)?,
            })
        })
        .collect()
}

fn persons(items: &[PersonInput]) -> Result<Vec<Person>, String> {
    if items.len() > MAX_PERSONS {
        return Err(format!("at most {MAX_PERSONS} persons"));
    }
    items
        .iter()
        .map(|p| {
            let role = optional_text(PERSON_ROLE, p.role.as_deref())?
                .map_or_else(|| "host".to_owned(), |r| r.to_lowercase());
            Ok(Person {
                name: text(PERSON_NAME, &p.name)?,
                role,
                href: optional_url("persons.href", p.href.as_deref())?,
            })
        })
        .collect()
}

impl ShowInput {
    /// The details as stored, or the first rule a field breaks.
    ///
    /// # Errors
    /// The message of that rule.
    pub fn validated(&self) -> Result<ShowDetails, String> {
        let (category, subcategory) = apple_category(&self.category, self.subcategory.as_deref())?;
        Ok(ShowDetails {
            title: text(TITLE, &self.title)?,
            description: description(&self.description, true)?,
            author: text(AUTHOR, &self.author)?,
            language: language(&self.language)?,
            category,
            subcategory,
            explicit: self.explicit,
            image_url: url("image_url", &self.image_url)?,
            link: optional_url("link", self.link.as_deref())?,
            copyright: optional_text(COPYRIGHT, self.copyright.as_deref())?,
            owner_name: optional_text(OWNER_NAME, self.owner_name.as_deref())?,
            owner_email: self
                .owner_email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(|e| email("owner_email", e))
                .transpose()?,
            show_type: self.show_type,
            locked: self.locked,
            funding: funding(&self.funding)?,
            persons: persons(&self.persons)?,
        })
    }
}

impl ShowPatch {
    /// `current` with this patch's fields, checked as a creation's are.
    ///
    /// # Errors
    /// The message of the first rule a field breaks.
    pub fn applied_to(&self, current: &ShowDetails) -> Result<ShowDetails, String> {
        let category_changed = self.category.is_some();
        let input = ShowInput {
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            author: self
                .author
                .clone()
                .unwrap_or_else(|| current.author.clone()),
            language: self
                .language
                .clone()
                .unwrap_or_else(|| current.language.clone()),
            category: self
                .category
                .clone()
                .unwrap_or_else(|| current.category.clone()),
            // A new category does not keep the old one's subcategory unless it is named again.
            subcategory: match &self.subcategory {
                Some(sub) => sub.clone(),
                None if category_changed => None,
                None => current.subcategory.clone(),
            },
            explicit: self.explicit.unwrap_or(current.explicit),
            image_url: self
                .image_url
                .clone()
                .unwrap_or_else(|| current.image_url.clone()),
            link: self.link.clone().unwrap_or_else(|| current.link.clone()),
            copyright: self
                .copyright
                .clone()
                .unwrap_or_else(|| current.copyright.clone()),
            owner_name: self
                .owner_name
                .clone()
                .unwrap_or_else(|| current.owner_name.clone()),
            owner_email: self
                .owner_email
                .clone()
                .unwrap_or_else(|| current.owner_email.clone()),
            show_type: self.show_type.unwrap_or(current.show_type),
            locked: self.locked.unwrap_or(current.locked),
            funding: self.funding.clone().unwrap_or_else(|| {
                current
                    .funding
                    .iter()
                    .map(|f| FundingInput {
                        url: f.url.clone(),
                        title: f.title.clone(),
                    })
                    .collect()
            }),
            persons: self.persons.clone().unwrap_or_else(|| {
                current
                    .persons
                    .iter()
                    .map(|p| PersonInput {
                        name: p.name.clone(),
                        role: Some(p.role.clone()),
                        href: p.href.clone(),
                    })
                    .collect()
            }),
        };
        // A stored description is clean already: cleaning it again changes nothing.
        input.validated()
    }
}
