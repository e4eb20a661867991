//! Apple Podcasts' categories and their subcategories, as Apple spells them in
//! `itunes:category` (Apple Podcasts for Creators, "Podcast categories"). A show names one
//! category and at most one of its subcategories.

/// Every category with its subcategories.
pub const APPLE_CATEGORIES: &[(&str, &[&str])] = &[
    (
        "Arts",
        &[
            "Books",
            "Design",
            "Fashion & Beauty",
            "Food",
            "Performing Arts",
            "Visual Arts",
        ],
    ),
    (
        "Business",
        &[
            "Careers",
            "Entrepreneurship",
            "Investing",
            "Management",
            "Marketing",
            "Non-Profit",
        ],
    ),
    ("Comedy", &["Comedy Interviews", "Improv", "Stand-Up"]),
    (
        "Education",
        &["Courses", "How To", "Language Learning", "Self-Improvement"],
    ),
    ("Fiction", &["Comedy Fiction", "Drama", "Science Fiction"]),
    ("Government", &[]),
    ("History", &[]),
    (
        "Health & Fitness",
        &[
            "Alternative Health",
            "Fitness",
            "Medicine",
            "Mental Health",
            "Nutrition",
            "Sexuality",
        ],
    ),
    (
        "Kids & Family",
        &[
            "Education for Kids",
            "Parenting",
            "Pets & Animals",
            "Stories for Kids",
        ],
    ),
    (
        "Leisure",
        &[
            "Animation & Manga",
            "Automotive",
            "Aviation",
            "Crafts",
            "Games",
            "Hobbies",
            "Home & Garden",
            "Video Games",
        ],
    ),
    (
        "Music",
        &["Music Commentary", "Music History", "Music Interviews"],
    ),
    (
        "News",
        &[
            "Business News",
            "Daily News",
            "Entertainment News",
            "News Commentary",
            "Politics",
            "Sports News",
            "Tech News",
        ],
    ),
    (
        "Religion & Spirituality",
        &[
            "Buddhism",
            "Christianity",
            "Hinduism",
            "Islam",
            "Judaism",
            "Religion",
            "Spirituality",
        ],
    ),
    (
        "Science",
        &[
            "Astronomy",
            "Chemistry",
            "Earth Sciences",
            "Life Sciences",
            "Mathematics",
            "Natural Sciences",
            "Nature",
            "Physics",
            "Social Sciences",
        ],
    ),
    (
        "Society & Culture",
        &[
            "Documentary",
            "Personal Journals",
            "Philosophy",
            "Places & Travel",
            "Relationships",
        ],
    ),
    (
        "Sports",
        &[
            "Baseball",
            "Basketball",
            "Cricket",
            "Fantasy Sports",
            "Football",
            "Golf",
            "Hockey",
            "Rugby",
            "Running",
            "Soccer",
            "Swimming",
            "Tennis",
            "Volleyball",
            "Wilderness",
            "Wrestling",
        ],
    ),
    ("Technology", &[]),
    ("True Crime", &[]),
    (
        "TV & Film",
        &[
            "After Shows",
            "Film History",
            "Film Interviews",
            "Film Reviews",
            "TV Reviews",
        ],
    ),
];

/// `category` and `subcategory` as Apple spells them (matched without regard to case).
///
/// # Errors
/// Not one of Apple's categories, or not a subcategory of it.
pub fn apple_category(
    category: &str,
    subcategory: Option<&str>,
) -> Result<(String, Option<String>), String> {
    let Some((name, subs)) = APPLE_CATEGORIES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(category.trim()))
    else {
        return Err(format!(
            "category must be one of Apple Podcasts' categories (e.g. Technology, Leisure), got {category:?}"
        ));
    };
    let sub = match subcategory.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(sub) => Some(
            subs.iter()
                .find(|s| s.eq_ignore_ascii_case(sub))
                .map(|s| (*s).to_owned())
                .ok_or_else(|| {
                    format!(
                        "subcategory {sub:?} is not one of {name}'s: {}",
                        subs.join(", ")
                    )
                })?,
        ),
    };
    Ok(((*name).to_owned(), sub))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_apple_s_own_spelling() {
        assert_eq!(
            apple_category("leisure", Some("games")).unwrap(),
            ("Leisure".to_owned(), Some("Games".to_owned()))
        );
        assert!(apple_category("Chess", None).is_err());
        assert!(apple_category("Technology", Some("Games")).is_err());
    }
}
