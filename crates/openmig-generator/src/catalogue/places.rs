//! Towns of the North East of England with their postcode areas, and street names, for
//! synthetic addresses. Postcodes are built as `DISTRICT N XX` with random letters and
//! so are well formed but not real delivery points.

/// A post town with the postcode districts that serve it and its relative population
/// weight (rounded, for spreading practices across the region).
pub struct Town {
    /// Post town.
    pub name: &'static str,
    /// Outward codes.
    pub districts: &'static [&'static str],
    /// Relative size.
    pub weight: u32,
}

/// North East towns (Tyne and Wear, Northumberland, County Durham, Teesside).
pub const TOWNS: &[Town] = &[
    Town {
        name: "Newcastle upon Tyne",
        districts: &["NE1", "NE2", "NE3", "NE4", "NE5", "NE6", "NE7", "NE15"],
        weight: 30,
    },
    Town { name: "Sunderland", districts: &["SR1", "SR2", "SR3", "SR4", "SR5", "SR6"], weight: 27 },
    Town { name: "Gateshead", districts: &["NE8", "NE9", "NE10", "NE11"], weight: 20 },
    Town { name: "South Shields", districts: &["NE33", "NE34"], weight: 15 },
    Town { name: "North Shields", districts: &["NE29", "NE30"], weight: 10 },
    Town { name: "Wallsend", districts: &["NE28"], weight: 8 },
    Town { name: "Washington", districts: &["NE37", "NE38"], weight: 7 },
    Town { name: "Durham", districts: &["DH1", "DH7"], weight: 9 },
    Town { name: "Chester le Street", districts: &["DH2", "DH3"], weight: 5 },
    Town { name: "Stanley", districts: &["DH9"], weight: 3 },
    Town { name: "Consett", districts: &["DH8"], weight: 3 },
    Town { name: "Peterlee", districts: &["SR8"], weight: 3 },
    Town { name: "Bishop Auckland", districts: &["DL14"], weight: 3 },
    Town { name: "Darlington", districts: &["DL1", "DL2", "DL3"], weight: 11 },
    Town { name: "Middlesbrough", districts: &["TS1", "TS3", "TS4", "TS5", "TS7"], weight: 14 },
    Town { name: "Stockton-on-Tees", districts: &["TS18", "TS19", "TS20"], weight: 12 },
    Town { name: "Hartlepool", districts: &["TS24", "TS25", "TS26"], weight: 9 },
    Town { name: "Redcar", districts: &["TS10"], weight: 4 },
    Town { name: "Blyth", districts: &["NE24"], weight: 4 },
    Town { name: "Cramlington", districts: &["NE23"], weight: 3 },
    Town { name: "Ashington", districts: &["NE63"], weight: 3 },
    Town { name: "Morpeth", districts: &["NE61"], weight: 2 },
    Town { name: "Hexham", districts: &["NE46"], weight: 2 },
    Town { name: "Alnwick", districts: &["NE66"], weight: 1 },
    Town { name: "Berwick-upon-Tweed", districts: &["TD15"], weight: 1 },
];

/// Street name stems.
pub const STREETS: &[&str] = &[
    "Station",
    "Church",
    "Victoria",
    "Albert",
    "Park",
    "Front",
    "Grange",
    "Westgate",
    "Chester",
    "Durham",
    "Shields",
    "Sunderland",
    "Elswick",
    "Grainger",
    "Jesmond",
    "Heaton",
    "Osborne",
    "Stanhope",
    "Wansbeck",
    "Coquet",
    "Tyne",
    "Wear",
    "Tees",
    "Derwent",
    "Allendale",
    "Kielder",
    "Cheviot",
    "Bamburgh",
    "Lindisfarne",
    "Cuthbert",
    "Bede",
    "Hilda",
    "Aidan",
    "Oswald",
    "Collingwood",
    "Stephenson",
    "Armstrong",
    "Grey",
    "Eldon",
    "Percy",
    "Hotspur",
    "Ravensworth",
    "Lambton",
    "Londonderry",
    "Vane",
    "Bowes",
    "Witton",
    "Whitburn",
    "Roker",
    "Seaburn",
    "Marsden",
];

/// Street kinds.
pub const STREET_KINDS: &[&str] =
    &["Street", "Road", "Terrace", "Avenue", "Gardens", "Close", "Crescent", "Drive", "Way", "Lane"];

/// Words for practice names.
pub const PRACTICE_NAME_KINDS: &[&str] =
    &["Medical Centre", "Surgery", "Medical Group", "Health Centre", "Family Practice"];
