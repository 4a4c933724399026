# ruff: noqa: SIM905  (word lists read best as one string per class)
"""The world's words: real English, grouped by part of speech, as plain data.

Every list is in no particular order; :mod:`bertology.world.lexicon` gives each class a Zipfian
frequency over a seeded permutation. Inflected forms come from regular rules plus the small
``IRREGULAR_PLURALS`` table. Words were chosen so that no surface form has two analyses (no noun
plural that is also a verb, no adjective that is also a plural verb, ...), so a word's number and
part of speech can be read off its form; ``Lexicon`` checks this when it is built.

Relation objects (``OBJECTS``) and the fixed words of the fact templates never occur in the
grammar's sentences, so fact mentions are found in the corpus by their templates alone.
"""

from __future__ import annotations

# Concrete nouns, the knowledge base's entities, by category. The category name is the entity's
# IsA object. Each category has a kind, which decides which relations apply (see RELATIONS_FOR).
ENTITY_CATEGORIES: dict[str, tuple[str, list[str]]] = {
    "animal": (
        "animate",
        "dog cat horse cow pig goat rabbit mouse fox wolf bear lion tiger monkey elephant donkey camel zebra giraffe squirrel hamster kangaroo panda hedgehog badger otter beaver puppy kitten".split(),
    ),
    "bird": (
        "animate",
        "owl eagle duck goose chicken parrot crow swan pigeon sparrow hawk penguin robin hen peacock".split(),
    ),
    "insect": (
        "animate",
        "bee ant beetle butterfly mosquito wasp moth cricket grasshopper ladybug caterpillar".split(),
    ),
    "reptile": ("animate", "snake lizard turtle frog crocodile tortoise toad".split()),
    "tool": (
        "artifact",
        "hammer drill wrench screwdriver shovel rake axe chisel ladder needle rope brush bucket spade".split(),
    ),
    "utensil": (
        "artifact",
        "knife fork spoon plate bowl cup pan pot kettle ladle spatula whisk mug jug teapot".split(),
    ),
    "vehicle": (
        "artifact",
        "car bus truck bicycle boat train plane tractor ship wagon scooter helicopter canoe sled rocket van".split(),
    ),
    "furniture": (
        "artifact",
        "table chair bed sofa desk shelf lamp cabinet bench stool mirror couch dresser cradle".split(),
    ),
    "instrument": (
        "artifact",
        "piano violin guitar drum flute trumpet harp cello banjo clarinet tuba bell".split(),
    ),
    "garment": (
        "artifact",
        "shirt coat hat shoe sock scarf glove dress jacket boot sweater skirt belt apron".split(),
    ),
    "container": (
        "artifact",
        "box basket bag jar bottle barrel crate sack chest envelope suitcase".split(),
    ),
    "toy": ("artifact", "ball doll kite puzzle marble balloon robot rattle".split()),
    "fruit": (
        "food",
        "apple banana cherry grape lemon peach pear plum mango melon strawberry apricot coconut".split(),
    ),
    "vegetable": (
        "food",
        "carrot potato tomato onion cabbage pepper cucumber pumpkin turnip radish bean pea".split(),
    ),
    "plant": (
        "plant",
        "tree rose tulip daisy fern oak pine willow bush vine lily sunflower".split(),
    ),
}

# Nouns that appear in the grammar but are not entities (people and places in the scene).
OTHER_NOUNS = (
    "man woman child boy girl baby teacher farmer doctor nurse student baker sailor soldier king "
    "queen prince princess neighbor friend stranger visitor hunter pilot singer dancer painter "
    "writer driver judge thief giant wizard knight clown waiter miner tailor scientist artist poet "
    "uncle aunt cousin sister brother house bridge fence wall tower castle cottage tent gate road "
    "hill window corner island"
).split()

IRREGULAR_PLURALS = {
    "mouse": "mice",
    "goose": "geese",
    "wolf": "wolves",
    "knife": "knives",
    "shelf": "shelves",
    "scarf": "scarves",
    "potato": "potatoes",
    "tomato": "tomatoes",
    "mango": "mangoes",
    "mosquito": "mosquitoes",
    "man": "men",
    "woman": "women",
    "child": "children",
    "thief": "thieves",
}

# Verbs that need an object ("the dog chases ." is bad) and verbs that take none ("the dog
# sleeps the cat ." is bad): the argument-structure minimal pairs swap one for the other.
TRANSITIVE_VERBS = (
    "chase follow push pull hold touch visit like love hate admire ignore avoid carry grab "
    "lift kick greet meet describe examine fix inspect mention notice praise protect rescue "
    "scare surprise tease trust blame annoy bother catch collect destroy drag hug pat poke "
    "prefer resemble squeeze tickle warn bring imitate question envy frighten "
    "invite obey observe pinch punish recognize scold thank hit"
).split()

INTRANSITIVE_VERBS = (
    "sleep laugh smile arrive fall cry yawn sneeze shiver snore sigh cough giggle tremble "
    "wander hurry wait rest sit faint frown blush panic collapse vanish disappear "
    "kneel nap weep shrug pause linger sulk stumble wink"
).split()

# Attributive adjectives of the grammar (amod).
ADJECTIVES = (
    "big small old young new red blue green brown white black yellow happy sad tired angry "
    "little tall short long round dirty wet dry cold hot busy lazy proud calm brave clever silly "
    "wild tiny huge ancient modern strange famous lonely friendly curious grey pink purple "
    "pretty ugly nice funny rich poor gentle bold shy polite rude clumsy sleepy noble humble "
    "quick slow fat thin empty full narrow wide"
).split()

# Frequency adverbs go before the verb, manner adverbs after the verb phrase (advmod).
PRE_ADVERBS = "often always never sometimes rarely seldom".split()
POST_ADVERBS = "quickly slowly quietly happily loudly softly badly suddenly carefully".split()

PREPOSITIONS = "near behind under above beside below around with without beyond inside".split()

# Determiners with the noun number they require (None: either).
DETERMINERS: dict[str, str | None] = {
    "the": None,
    "no": None,
    "a": "Sing",
    "an": "Sing",
    "this": "Sing",
    "every": "Sing",
    "each": "Sing",
    "these": "Plur",
    "those": "Plur",
    "some": "Plur",
    "all": "Plur",
}
DETERMINER_FEATS = {
    "the": "Definite=Def|PronType=Art",
    "a": "Definite=Ind|PronType=Art",
    "an": "Definite=Ind|PronType=Art",
    "this": "Number=Sing|PronType=Dem",
    "these": "Number=Plur|PronType=Dem",
    "those": "Number=Plur|PronType=Dem",
    "every": "PronType=Tot",
    "each": "PronType=Tot",
    "all": "PronType=Tot",
    "some": "PronType=Ind",
    "no": "PronType=Neg",
}
# Relative frequencies of determiners (not Zipf-ranked: "the" dominates, as in English).
DETERMINER_WEIGHTS = {
    "the": 10.0,
    "a": 5.0,
    "this": 1.5,
    "every": 0.7,
    "each": 0.5,
    "no": 0.4,
    "these": 1.2,
    "those": 0.8,
    "some": 1.5,
    "all": 0.6,
}

COORDINATORS = ["and", "but"]  # "but" only joins clauses (see grammar.DEFAULT_RULES["S"])
RELATIVIZER = "that"

# Each relation's own object vocabulary; no word is shared with any other list in this module.
OBJECTS: dict[str, list[str]] = {
    "IsA": list(ENTITY_CATEGORIES),
    "AtLocation": (
        "kitchen garage forest farm ocean desert attic cellar barn jungle lake mountain city "
        "village market library museum hospital stable shed cupboard drawer closet pond meadow "
        "cave orchard greenhouse workshop classroom bakery swamp zoo park beach basement pantry"
    ).split(),
    "UsedFor": (
        "cutting cooking cleaning writing digging painting eating drinking sitting sleeping "
        "carrying storing travelling playing hunting fishing sewing building measuring lifting "
        "heating cooling reading listening dancing racing hiding shopping"
    ).split(),
    "CapableOf": (
        "fly swim climb bite sing hop crawl purr howl roar hiss buzz gallop graze dive burrow "
        "sting chirp quack glide scratch jump dig bark"
    ).split(),
    "MadeOf": (
        "wood metal iron steel glass plastic stone clay cotton wool leather silk paper rubber "
        "gold silver copper bamboo brass tin"
    ).split(),
    "HasA": (
        "handle blade wheel tail wing leg lid button string engine door seat beak fur feathers "
        "horn claw shell seed skin stem root screen strap pocket spout mane hood"
    ).split(),
    "PartOf": (
        "herd flock pack swarm kit set orchestra band collection meal salad harvest fleet "
        "wardrobe toolbox household farmyard picnic bouquet display parade"
    ).split(),
    "Desires": (
        "food water sunlight warmth shelter shade attention freedom company silence exercise meat "
        "grass grain honey milk nuts mud sugar cheese"
    ).split(),
    "HasProperty": (
        "heavy sharp soft hard loud quiet bright smooth rough sweet sour bitter fragile sturdy "
        "shiny furry slippery sticky cheap expensive useful dangerous delicious noisy crunchy "
        "juicy colorful flexible fierce"
    ).split(),
    "ReceivesAction": (
        "eaten washed cooked painted repaired sold bought carried thrown broken opened folded "
        "peeled sharpened polished stolen hidden fed trained ridden planted picked worn played"
    ).split(),
}
# Part of speech and features of each relation's objects, for the trees of fact sentences.
OBJECT_TAGS: dict[str, tuple[str, str]] = {
    "IsA": ("NOUN", "Number=Sing"),
    "AtLocation": ("NOUN", "Number=Sing"),
    "UsedFor": ("VERB", "VerbForm=Ger"),
    "CapableOf": ("VERB", "VerbForm=Inf"),
    "MadeOf": ("NOUN", "Number=Sing"),
    "HasA": ("NOUN", "Number=Sing"),
    "PartOf": ("NOUN", "Number=Sing"),
    "Desires": ("NOUN", "Number=Sing"),
    "HasProperty": ("ADJ", "Degree=Pos"),
    "ReceivesAction": ("VERB", "Tense=Past|VerbForm=Part|Voice=Pass"),
}

# Which relations an entity can have, by the kind of its category.
RELATIONS_FOR: dict[str, list[str]] = {
    "animate": ["IsA", "AtLocation", "CapableOf", "HasA", "PartOf", "Desires", "HasProperty"],
    "artifact": [
        "IsA",
        "AtLocation",
        "UsedFor",
        "MadeOf",
        "HasA",
        "PartOf",
        "HasProperty",
        "ReceivesAction",
    ],
    "food": ["IsA", "AtLocation", "HasA", "PartOf", "HasProperty", "ReceivesAction"],
    "plant": ["IsA", "AtLocation", "HasA", "PartOf", "Desires", "HasProperty"],
}
