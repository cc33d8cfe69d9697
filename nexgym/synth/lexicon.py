"""Word lists the offline synthesizer reads descriptions with.

Everything here is plain data: stop words, role nouns, the verbs that express
delegation, topology cue words, a synonym table that widens a description's words
before they are matched against tool names and descriptions, and a small
foreign-word table that lets short Spanish, French, German, Italian and Portuguese
descriptions be read on a best-effort basis. Words are stored as written; the
matcher stems both sides the same way.
"""

from __future__ import annotations

__all__ = [
    "ADJECTIVES",
    "COLLECTIVE_HEADS",
    "DELEGATION_VERBS",
    "DETERMINERS",
    "EXCLUSION_CUES",
    "FOREIGN",
    "GENERIC",
    "NUMBERS",
    "OWNERSHIP_VERBS",
    "REFLEXIVES",
    "REPORT_CUES",
    "REST_CUES",
    "ROLE_HEADS",
    "STOPWORDS",
    "SYNONYMS",
    "TEAM_NOUNS",
    "TOOL_VERBS",
    "TOPOLOGY_CUES",
    "word_set",
]


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text block."""
    return frozenset(text.split())


STOPWORDS = word_set(
    """
    a an the and or but nor of to in on at by for from with without into onto over
    under about as is are be been being was were am do does did done has have had
    having it its it's itself he she him her his hers they them their theirs
    themselves this that these those there here where when while who whom whose
    which what why how than then so such very just also too only any some each every
    all both either neither no not own same other others another more most less few
    many much can could should would will shall may might must let lets let's make
    makes please i me my we us our you your yours one ones via per up down out off
    again once if else whether yet still even ever
    until till before after during because since though although unless whenever
    wherever whereas
    """
)

#: Words that say little about which tools a role needs.
GENERIC = word_set(
    """
    agent agents team teams tool tools task tasks work works working job jobs thing
    things stuff everything anything something nothing part parts care cares handle
    handles handling handled deal deals dealing take takes taking do does doing help
    helps helping use uses using own side sides kind kinds way ways rest remaining
    remainder whatever lot lots bit role roles someone somebody setup hierarchy
    system desk office workflow pipeline process level levels layer layers depth
    deep answer answers result results report reports final final decide decides
    staff carefully quickly well good small big large simple busy new old first second
    third last next whole entire kept keep keeps best win wins majority meant
    """
)

#: Head nouns of role mentions ("a planner", "two flight specialists").
ROLE_HEADS = word_set(
    """
    planner manager lead leader head coordinator orchestrator supervisor director
    boss chief dispatcher moderator router triager specialist expert agent worker
    assistant helper analyst clerk editor reader writer reviewer auditor researcher
    engineer developer operator administrator admin archivist searcher scheduler
    booker buyer accountant bookkeeper cashier librarian secretary concierge peer
    member teammate colleague solver bot officer controller inspector checker keeper
    handler owner steward curator investigator scout runner fixer technician
    representative rep associate attendant intern maintainer architect strategist
    tracker liaison negotiator picker packer receiver purchaser storekeeper butler
    caretaker custodian navigator judge arbiter referee critic verifier validator
    summarizer organizer organiser treasurer banker teller auditor analyst agent
    courier porter tester debugger programmer coder sysadmin triage responder
    greeter receptionist advisor adviser consultant counselor dba captain foreman
    vet veterinarian pharmacist nurse doctor physician surgeon dentist therapist
    teacher tutor professor chef baker waiter waitress bartender barista driver
    pilot mechanic electrician plumber carpenter lawyer attorney paralegal partner
    recruiter trainer coach cleaner janitor ranger farmer gardener florist tailor
    barber stylist photographer designer journalist translator interpreter broker
    realtor landlord principal registrar dispatcher warden sommelier host hostess
    guard courier
    """
)

#: Role heads that usually name a group of equals rather than one agent.
COLLECTIVE_HEADS = frozenset(["peer", "member", "teammate", "colleague", "solver"])

#: "the planner hands flights to ..." and similar: the object goes to the named role.
DELEGATION_VERBS = word_set(
    """
    hand hands handing passes pass passing delegate delegates delegating assign
    assigns assigning give gives giving send sends sending route routes routing
    forward forwards forwarding dispatch dispatches dispatching entrust entrusts
    leave leaves farm farms outsource outsources offload offloads split splits
    splitting divide divides allocate allocates
    """
)

#: "the manager oversees two leads", "a lead with a searcher": the object roles are children.
OWNERSHIP_VERBS = word_set(
    """
    with has have having oversee oversees overseeing manage manages managing lead
    leads leading supervise supervises supervising direct directs directing
    coordinate coordinates coordinating run runs running command commands employ
    employs employing head heads heading over above commanding owns own including
    includes include containing contains contain
    """
)

#: "... reports to the manager", "... under the lead": the subject is the object's child.
REPORT_CUES = word_set(
    """
    report reports reporting under below beneath answers
    """
)

#: "checks the budget itself": the subject keeps this part of the work.
REFLEXIVES = word_set(
    """
    itself himself herself themselves themself personally directly alone myself
    """
)

#: "handles the rest": the role takes every tool no one else was given.
REST_CUES = word_set(
    """
    rest remaining remainder everything else whatever
    """
)

#: "without deleting anything", "never deletes": the matched tools are left out.
EXCLUSION_CUES = word_set(
    """
    without never except excluding no-one noone nobody
    """
)

DETERMINERS = word_set(
    """
    a an the one some any each every this that our their its
    """
)

NUMBERS = {
    "one": 1,
    "single": 1,
    "two": 2,
    "pair": 2,
    "couple": 2,
    "both": 2,
    "three": 3,
    "trio": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

#: Adjectives that describe a role without naming its work ("a senior analyst").
ADJECTIVES = word_set(
    """
    independent separate different senior junior careful busy dedicated experienced
    helpful friendly skilled diligent capable reliable patient thorough meticulous
    seasoned veteran young trusted tireless parallel equal fellow several multiple
    various individual additional extra main chief central top lone
    """
)

#: Nouns that name the whole hierarchy ("a travel desk", "an inventory team").
TEAM_NOUNS = word_set(
    """
    desk team office crew squad bureau shop lab unit panel council board agency
    department group cell hub center centre studio guild taskforce committee firm
    service outfit collective network pool organization organisation division circle
    bench
    """
)

#: Verbs tool names start with; the rest of a tool name names its object.
TOOL_VERBS = word_set(
    """
    list get read search find write replace delete move make create add set update
    cancel receive adjust transfer suspend issue reply close escalate apply activate
    run check book send archive fetch open query summarize compute count remove
    rename copy edit post submit approve reject assign schedule reschedule invite
    accept decline forward draft mark flag tag label record log pay refund transfer
    convert export import lookup look browse view show plan compare rate review
    verify validate lock unlock start stop restart enable disable toggle turn dim
    execute describe inspect measure sum total estimate quote reserve hold release
    change preview fill transform save reconcile describe dedupe deduplicate merge
    sort filter join rank star snooze mute pin publish share upload download sync
    clone pull push checkout commit stage unstage diff convert notify ping confirm
    """
)

#: Cue patterns for each topology (regular expressions over the lower-case text).
TOPOLOGY_CUES: dict[str, tuple[str, ...]] = {
    "single": (
        r"\bsingle\b",
        r"\bsolo\b",
        r"\balone\b",
        r"\bby (?:it|him|her)self\b",
        r"\b(?:every|all(?: of)?(?: the)?) (?:\w+ )?tools?\b",
        r"\b(?:just|only) one (?:\w+ )?(?:agent|assistant|worker)\b",
        r"\bone agent (?:does|holds|handles) (?:it all|everything)\b",
    ),
    "decentralized": (
        r"\bdebat\w*",
        r"\bdiscuss\w*",
        r"\bconsensus\b",
        r"\bvot(?:e|es|ing)\b",
        r"\bagree\w*",
        r"\bpeer[- ]to[- ]peer\b",
        r"\b(?:each other|one another)\b",
        r"\bdecentrali[sz]ed\b",
        r"\bcross[- ]check\w*",
        r"\bdeliberat\w*",
    ),
    "independent": (
        r"\bindependent(?:ly)?\b",
        r"\bin parallel\b",
        r"\bseparately\b",
        r"\bon (?:their|its) own\b",
        r"\bwithout talking\b",
        r"\bbest answer\b",
        r"\bmajority\b",
        r"\bredundan\w*",
        r"\bparallel\b",
    ),
    "hybrid": (r"\bhybrid\b", r"\bmixed\b", r"\bpartly decentrali[sz]ed\b"),
    "tree": (
        r"\b(?:\w+)[- ](?:level|layer|tier)s?\b",
        r"\bdeep\b",
        r"\btree\b",
        r"\bsub-?teams?\b",
        r"\bnested\b",
    ),
    "centralized": (
        r"\bcentrali[sz]ed\b",
        r"\borchestrat\w*",
        r"\bhub[- ]and[- ]spoke\b",
        r"\bdelegat\w*",
        r"\bdispatch\w*",
    ),
}

#: Groups of words that mean nearly the same thing to a tool-using agent. A
#: description's word is widened to every word of its groups (at a lower weight).
SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "find search look lookup locate seek hunt query discover grep scan",
        "read view open inspect show see display examine peek fetch retrieve get",
        "write edit change modify update set replace fix patch adjust tweak alter configure",
        "delete remove erase drop purge clean discard wipe destroy",
        "move rename relocate transfer shift archive",
        "list browse enumerate catalog",
        "create make new add build open start",
        "file document doc",
        "dir directory folder",
        "config configuration setting settings conf option",
        "code source function module program script",
        "log logs logging",
        "measure size length count lines info stat",
        "book reserve reservation booking",
        "flight flights plane airline fly air",
        "hotel hotels room lodging accommodation stay",
        "budget cost expense spend money price pricing",
        "stock inventory quantity unit level restock",
        "order purchase buy procure reorder procurement",
        "supplier vendor seller provider",
        "bin location shelf slot warehouse place",
        "product item sku good goods",
        "ticket case issue request complaint inquiry",
        "refund reimburse reimbursement repay chargeback",
        "reply respond response answer message",
        "escalate escalation",
        "close resolve resolution",
        "customer client user buyer shopper",
        "policy rule rules guideline",
        "macro template canned",
        "device appliance gadget light lamp blind thermostat speaker",
        "scene preset mood ambience",
        "schedule timer routine automation automate alarm",
        "room rooms area",
        "email mail inbox mailbox message messages",
        "calendar meeting event appointment agenda",
        "invite invitation attendee",
        "sql database query table tables record records db",
        "finance account transaction payment invoice ledger bank money",
        "research paper citation article source literature study",
        "trip travel itinerary journey",
        "git repo repository commit branch",
        "clock time timezone zone date",
        "web page website url link internet",
    )
)

#: Foreign words read on a best-effort basis (the description is translated word by word).
FOREIGN: dict[str, str] = {
    # Spanish
    "archivo": "file",
    "archivos": "files",
    "fichero": "file",
    "ficheros": "files",
    "carpeta": "folder",
    "viaje": "travel",
    "viajes": "travel",
    "vuelo": "flight",
    "vuelos": "flights",
    "hoteles": "hotels",
    "presupuesto": "budget",
    "inventario": "inventory",
    "pedido": "order",
    "pedidos": "orders",
    "proveedor": "supplier",
    "correo": "email",
    "reunion": "meeting",
    "calendario": "calendar",
    "planificador": "planner",
    "gerente": "manager",
    "jefe": "manager",
    "agente": "agent",
    "agentes": "agents",
    "especialista": "specialist",
    "especialistas": "specialists",
    "uno": "one",
    "para": "for",
    "el": "the",
    "la": "the",
    "los": "the",
    "las": "the",
    "de": "of",
    "del": "of",
    "equipo": "team",
    "leer": "read",
    "buscar": "search",
    "escribir": "write",
    "borrar": "delete",
    "mover": "move",
    "reservar": "book",
    "solo": "single",
    "un": "a",
    "una": "a",
    "y": "and",
    "con": "with",
    "que": "who",
    "otro": "another",
    "otra": "another",
    "dos": "two",
    "tres": "three",
    # French
    "fichier": "file",
    "fichiers": "files",
    "dossier": "folder",
    "voyage": "travel",
    "vol": "flight",
    "vols": "flights",
    "hôtel": "hotel",
    "hôtels": "hotels",
    "budget": "budget",
    "commande": "order",
    "commandes": "orders",
    "fournisseur": "supplier",
    "courriel": "email",
    "réunion": "meeting",
    "calendrier": "calendar",
    "gestionnaire": "manager",
    "chef": "manager",
    "spécialiste": "specialist",
    "équipe": "team",
    "lire": "read",
    "chercher": "search",
    "écrire": "write",
    "supprimer": "delete",
    "déplacer": "move",
    "réserver": "book",
    "une": "a",
    "pour": "for",
    "le": "the",
    "les": "the",
    "des": "of",
    "du": "of",
    "et": "and",
    "avec": "with",
    "qui": "who",
    "autre": "another",
    "deux": "two",
    "trois": "three",
    # German
    "datei": "file",
    "dateien": "files",
    "ordner": "folder",
    "reise": "travel",
    "reisen": "travel",
    "flug": "flight",
    "flüge": "flights",
    "lager": "inventory",
    "bestand": "stock",
    "bestellung": "order",
    "bestellungen": "orders",
    "lieferant": "supplier",
    "termin": "meeting",
    "kalender": "calendar",
    "planer": "planner",
    "leiter": "manager",
    "spezialist": "specialist",
    "lesen": "read",
    "suchen": "search",
    "schreiben": "write",
    "löschen": "delete",
    "verschieben": "move",
    "buchen": "book",
    "ein": "a",
    "eine": "a",
    "einen": "a",
    "und": "and",
    "mit": "with",
    "der": "the",
    "die": "the",
    "das": "the",
    "für": "for",
    "anderen": "another",
    "zwei": "two",
    "drei": "three",
    # Italian and Portuguese
    "viaggio": "travel",
    "volo": "flight",
    "voli": "flights",
    "albergo": "hotel",
    "magazzino": "inventory",
    "arquivo": "file",
    "arquivos": "files",
    "viagem": "travel",
    "voo": "flight",
    "voos": "flights",
    "estoque": "stock",
}
