//! Names for synthetic people. Common given names and surnames in England and Wales
//! (the kind listed in ONS baby-name and surname tables); any resemblance to a real
//! person is chance, as with any common name.

/// Female given names, spread over the generations a region's patients span.
pub const FEMALE: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie", "Sophia",
    "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella", "Evelyn", "Phoebe", "Sofia", "Evie",
    "Charlotte", "Harper", "Millie", "Matilda", "Sophie", "Chloe", "Jessica", "Emma", "Lauren", "Hannah", "Amy",
    "Rebecca", "Rachel", "Laura", "Gemma", "Kelly", "Claire", "Nicola", "Michelle", "Lisa", "Joanne", "Sarah",
    "Helen", "Karen", "Julie", "Susan", "Tracey", "Angela", "Dawn", "Deborah", "Elaine", "Janet", "Linda", "Carol",
    "Patricia", "Margaret", "Christine", "Pauline", "Jean", "Sandra", "Barbara", "Maureen", "Brenda", "Irene",
    "Doreen", "Joan", "Dorothy", "Sheila", "Eileen", "Betty", "Audrey", "Edna", "Mavis", "Vera", "Ann", "Mary",
    "Elizabeth", "Catherine", "Anne", "Jane", "Alison", "Wendy", "Kathleen", "Valerie", "Lorraine", "Diane",
    "Amira", "Aisha", "Fatima", "Priya", "Zara", "Maryam", "Wiktoria", "Zofia",
];

/// Male given names.
pub const MALE: &[&str] = &[
    "Oliver", "George", "Noah", "Arthur", "Leo", "Muhammad", "Oscar", "Harry", "Archie", "Jack", "Henry", "Charlie",
    "Freddie", "Theodore", "Thomas", "Finley", "Theo", "Alfie", "Jacob", "William", "Isaac", "Tommy", "Joshua",
    "James", "Daniel", "Matthew", "Ryan", "Liam", "Adam", "Luke", "Callum", "Jordan", "Lewis", "Connor", "Michael",
    "Christopher", "David", "Andrew", "Mark", "Paul", "Steven", "Craig", "Darren", "Lee", "Gary", "Stuart", "Neil",
    "Richard", "Robert", "John", "Peter", "Stephen", "Ian", "Alan", "Kevin", "Brian", "Keith", "Colin", "Graham",
    "Derek", "Ronald", "Kenneth", "Raymond", "Dennis", "Norman", "Albert", "Stanley", "Frederick", "Ernest",
    "Harold", "Leonard", "Walter", "Anthony", "Malcolm", "Trevor", "Barry", "Terence", "Geoffrey", "Philip",
    "Martin", "Simon", "Jonathan", "Wayne", "Dean", "Carl", "Scott", "Ahmed", "Ali", "Omar", "Ravi", "Jakub",
    "Piotr", "Tomasz",
];

/// Surnames; several are characteristic of the North East of England.
pub const SURNAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson",
    "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis",
    "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "Armstrong",
    "Atkinson", "Bell", "Charlton", "Dixon", "Elliott", "Forster", "Gibson", "Graham", "Hedley", "Henderson",
    "Hodgson", "Hutchinson", "Liddle", "Milburn", "Nicholson", "Oliver", "Pattinson", "Ridley", "Robson", "Scott",
    "Shearer", "Stephenson", "Storey", "Swinburne", "Teasdale", "Turnbull", "Usher", "Waugh", "Wardle", "Young",
    "Anderson", "Bainbridge", "Brewis", "Carr", "Common", "Dodds", "Fenwick", "Gray", "Heron", "Irving", "Kirkup",
    "Lamb", "Lowes", "Marshall", "Moffat", "Nixon", "Potts", "Purvis", "Reay", "Rutherford", "Summers", "Thornton",
    "Walton", "Watson", "Wilkinson", "Moore", "Martin", "Lee", "Harris", "Cooper", "King", "Baker", "Turner", "Hill",
    "Ward", "Morris", "Hughes", "Edwards", "Hussain", "Ahmed", "Begum", "Ali", "Kowalski", "Nowak", "Singh",
];

/// Titles by sex for adults.
pub const FEMALE_TITLES: &[&str] = &["Mrs", "Miss", "Ms"];
