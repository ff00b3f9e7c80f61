"""Cue words as data, in one place: how a question is framed, not what it is about.

Everything here is generic English (politeness, filler, question shapes) or document structure
("executive summary", "conclusion"); nothing names a topic of the report. ``rag/query.py`` reads
these lists to parse a question once into a typed ``Query``; the table reader (``rag/tables.py``) and
the fact answerer (``rag/answer.py``) read the word lists at the end.
"""

from __future__ import annotations

import re

# Openers and closers that carry no content ("could you tell me", "according to the report, ...").
# Matched case-insensitively at the start (or end) of the question, repeatedly.
POLITE_PREFIXES: tuple[str, ...] = (
    r"(?:hi|hello|hey|dear \w+|good (?:morning|afternoon|evening))[!,.]*",
    r"(?:please|pls|plz|kindly)[,:]?",
    r"(?:could|can|would|will) you (?:please |kindly )?(?:tell|show|explain to|let) me(?: know)?[,:]?",
    r"(?:could|can|would|will) you (?:please |kindly )?(?:help me(?: with this| understand| out)?[?!.:,]*)",
    r"(?:would you mind|do you mind) (?:telling|explaining to) me[,:]?",
    r"(?:please |can you |could you )?(?:tell|show) me[,:]?",
    r"(?:could|can|would|will) you(?: please| kindly)?(?= (?:summari[sz]e|explain|describe|list|give|outline|compare|"
    r"name|walk|break down|sum up|clarify|go over))",
    r"i(?:'d| would)(?: really)? (?:like|love) to (?:know|understand|learn)(?: about)?[,:]?",
    r"i(?:'m| am) (?:curious|wondering)(?: about)?(?: to know)?[,:]?",
    r"i was wondering(?: if you could tell me)?[,:]?",
    r"i (?:want|need) to (?:know|understand)[,:]?",
    r"do you know[,:]?",
    r"quick question[:,!.]*",
    r"one more (?:thing|question)[:,!.]*",
    r"(?:so|ok|okay|well|um|uh|now)[,.!]+",
    r"(?:according to|based on|per|in|from) (?:the|this) (?:report|document|paper|study|publication|text)"
    r"(?: (?:itself|alone))?[,:]?",
    r"(?:as|what) (?:the|this) (?:report|document) (?:says|states)[,:]?",
)
POLITE_SUFFIXES: tuple[str, ...] = (
    r"[,.!]?\s*(?:please|thanks|thank you(?: very much)?|thx|cheers)[.!]*",
    r",?\s*(?:according to|based on|per|in) (?:the|this) (?:report|document|paper|study|publication)",
)

# Nouns a number labels ("Category 3", "Phase 2", "Article 36"): the answer must hold the label as written, not
# just the number somewhere. A capitalised word before a number is read as a label too.
LABEL_NOUNS = frozenset("category categories phase phases tier tiers level levels article articles item items row rows "
                        "stage stages round rounds group groups batch batches priority priorities project projects "
                        "goal goals objective objectives step steps pillar pillars task tasks".split())

# Nouns that name a publication: "the NIST benchmarking report", "according to the NIST study".
REPORT_NOUNS = "report study publication paper document review"

# How long the answer should be ("in 3-4 sentences", "a two-paragraph summary"): a wish about the answer's form,
# not a figure the answer must hold.
ANSWER_LENGTH = re.compile(r",?\s*\b(?:in short|in brief|briefly)\b|\b(?:in\s+)?(?:\d+|one|two|three|four|five|six|a few)(?:\s*(?:-|–|to|or)\s*(?:\d+|two|three|"
                           r"four|five|six))?[\s-]*(?:sentences?|words?|bullets?|bullet points?|lines?|paragraphs?)\b",
                           re.I)
# Adverbs that only soften or stress a question; dropped before matching (meaning stays the same).
FILLER_ADVERBS: frozenset[str] = frozenset(
    "actually really exactly precisely basically essentially honestly truly just ever officially newly "
    "approximately roughly currently presently nowadays now originally initially".split()
)

# What a question asks for, by its shape. Order matters: the first intent whose cue matches wins.
INTENT_CUES: tuple[tuple[str, str], ...] = (
    ("whole_report", r"\b(?:main|key|major|central|principal|overall|top)\s+(?:findings?|takeaways?|conclusions?|"
                     r"messages?|points?|results?|lessons?|insights?)\b|\btake-?aways?\b|\bin a nutshell\b|"
                     r"\bbottom line\b|\btl;?dr\b|\b(?:purpose|aim|goal|objective|scope|point|limitations?|caveats?|weaknesses|"
                     r"shortcomings|methods?|methodology|sources)\s+of\s+(?:the|this)\s+(?:[A-Z][\w-]*\s+)?"
                     r"(?:report|document|study|publication|paper)\b|\b(?:how|what|where)\s+(?:did|do|does)\s+the\s+authors?\s+"
                     r"(?:gather|collect|get|obtain|source|base|use|rely|draw|conduct|research|find|conclude|recommend|argue|visit|go|"
                     r"travel|interview|talk)\b|\b(?:report|study|document|paper)(?:'s\s+\w+)?\s+(?:was\s+|is\s+)?based\s+on\b|\b(?:the|this)\s+(?:report|document|study|paper)"
                     r"(?:'s)?\s+(?:purpose|aim|goal|objective|conclusions?|findings?|recommendations?|methods?|"
                     r"methodology|approach|audience|limitations?|caveats?|sources)\b|\bwhat\s+(?:is|was)\s+(?:the|this)\s+(?:report|document|doc|"
                     r"study|paper)\s+(?:about|for)\b|\bwhat\s+(?:the|this)\s+(?:report|document|doc|study|paper)\s+(?:is|was)\s+"
                     r"(?:about|for)\b|\b(?:why|how)\s+(?:was|did)\s+(?:the|this|nist)\s+(?:report|"
                     r"document|study)?\s*(?:written|produced|prepared|conducted|write|do)\b|\bsummar(?:y|ize|ise)\s+"
                     r"(?:of\s+)?(?:the|this)\s+(?:whole\s+|entire\s+)?(?:report|document|study|paper)\b|"
                     r"\bwhat\s+does\s+(?:the|this)\s+(?:report|study)\s+(?:conclude|find|recommend|mean)\b|"
                     r"\bwho\s+is\s+(?:the|this)\s+(?:report|document)\s+(?:for|aimed at|written for)\b|"
                     r"\bimplications?\s+for\s+(?:the\s+)?(?:u\.?s\.?|united states|america|manufacturing usa)\b|"
                     r"\bwhat\s+does\s+(?:this|it|all\s+this|that|the\s+report)\s+mean\s+for\b|"
                     r"\b(?:overall|general|broad)\s+(?:take|view|assessment|verdict|picture|argument|message|story|narrative|"
                     r"thesis)\b|\b(?:big|whole|full)\s+(?:picture|story)\b|"
                     r"\b(?:does|do|did)\s+(?:the|this)\s+(?:report|document|doc|study|paper|authors?)\s+(?:think|believe|"
                     r"expect|predict|argue|suggest|see|view|assess|judge)\b|"
                     r"\b(?:sources?|methods?|methodology|data|evidence)\s+(?:does|did)\s+(?:the|this)\s+(?:report|"
                     r"study|document)\s+(?:use|rely|draw|build|base)\b(?!(?:\s+(?:on|upon|from))?\s+(?:for|about|when)\b)|\bhow\s+(?:is|was)\s+(?:the|this)\s+"
                     r"(?:report|document)\s+(?:organi[sz]ed|structured|laid out|arranged)\b|\b(?:structure|outline|"
                     r"organi[sz]ation|contents|chapters|sections|parts)\s+(?:of|in)\s+(?:the|this)\s+(?:report|document)\b|\bsum\s+up\s+(?:the|this)"
                     r"\s+(?:report|document)\b"),
    ("compare", r"\bcompar(?:e|es|ed|ing|ison|isons)\b(?!\s+(?:table|chart|figure|graph)s?\b)|\bdiffer(?:s|ed|ent|ently|ence|ences)?\b|\bversus\b|\bvs\.?\b|"
                r"\bcontrast\b|\bsimilar(?:ity|ities)?\b|\bstack up\b|\brelative to\b|\bsets? (?:\w+ )?apart\b|"
                r"\b(?:alike|unlike)\b|\bmeasure up\b|\bin common\b|\bshare with\b"),
    ("summary", r"(?<!executive )\bsummar(?:y|ize|ise|ized|ised|izes|ises|izing|ising)\b|\boverview\b|\bgist\b|\brecap\b|\bbrief (?:me|summary)\b|"
                r"\bsum(?:s|med|ming)? (?:\w+ )?up\b|\brun-?down\b|\bwrap(?:s)? up\b|\bsynopsis\b|\bhighlights of\b|"
                r"\bwhat\s+(?:does|did|do)\s+(?:the|this)\s+(?:report|document|paper|section|chapter|appendix)"
                r"\s+(?:say|says|state|tell|cover|discuss|note|mention)\b|\bwhat\s+(?:does|did|do)\s+(?:section|chapter|appendix|part)\s+"
                r"[\w.]+\s+(?:say|cover|discuss|describe|contain|tell|address|suggest|show|indicate|conclude|reveal|imply|"
                r"find)\b|\b(?:tell|teach)\s+me\s+(?:about|more)\b|"
                r"\bwhat(?:'s| is)\s+(?:said|written)\s+(?:about|on)\b|\bdescribe\b|\bwhat\s+(?:is|are)\s+"
                r"(?:in\s+)?(?:section|chapter|appendix)\b|\bwalk me through\b|\bexplain\s+(?:section|chapter)\b|"
                # a section named by its title ("what does the Financing section say", "what's the section on IP about")
                r"\bwhat(?:'s|\s+is|\s+does|\s+did)\s+(?:in\s+)?the\s+(?:[\w'-]+\s+){1,5}(?:section|chapter)\s+"
                r"(?:say|says|cover|covers|discuss|tell|about|contain)\b|\bwhat(?:'s|\s+is|\s+does|\s+did)\s+(?:in\s+)?the\s+"
                r"(?:section|chapter)\s+(?:on|about)\s+[^?]+?\s+(?:say|cover|discuss|tell|about|contain)\b|"
                r"\bwhat(?:'s|\s+is)\s+in\s+the\s+(?:[\w'-]+\s+){1,5}(?:section|chapter)\b"),
    ("explain", r"^\W*(?:why|how come)\b|[,;:]\s*(?:so\s+)?why\b|\bwhat\s+(?:is|are|was|were)\s+the\s+(?:main\s+)?(?:reasons?|motivations?|"
                r"rationale|drivers?|purpose|goals?|aims?|role)\b|\bfor what reason\b|\bwhat\s+(?:motivated|drove|"
                r"prompted|led|explains|accounts\s+for|drives|is\s+behind|lies\s+behind|caused|causes)\b|^\W*how\s+(?:do|does|did|are|is|was|were|can|could|will|would|should|has|have)\b|"
                r"^\W*in what ways?\b|^\W*explain\b|\bwhat\s+role\b|\bhow\s+(?:exactly\s+)?(?:do|does|did)\b"),
    ("list", r"^\W*(?:list|enumerate|name)\b|\bwhat\s+(?:are|were)\s+(?:the\s+|some\s+(?:of\s+the\s+)?)?"
             r"(?:\w+\s+){0,3}(?:challenges|tasks|goals|problems|issues|obstacles|barriers|weaknesses|strengths|"
             r"risks|measures|steps|priorities|areas|sectors|technologies|policies|features|elements|components|"
             r"characteristics|criteria|factors|benefits|advantages|disadvantages|recommendations|objectives|"
             r"targets|principles|functions|activities|roles|responsibilities|sources|types|kinds|categories|"
             r"examples|ways|lessons|gaps|concerns|limitations)\b|\bwhat\s+(?:kinds|types|sorts)\s+of\b|"
             r"^\W*(?:what|which)\s+(?:[\w'’-]+\s+){0,2}(?:challenges|tasks|goals|problems|issues|obstacles|barriers|"
             r"weaknesses|strengths|risks|measures|steps|priorities|policies|achievements|successes|organi[sz]ations|"
             r"analyses|sources|studies|reports|tactics|tools|instruments|mechanisms|factors|lessons|concerns|"
             r"limitations|recommendations)\s+(?:(?:of|in|for|from|about)\s+(?:[\w'’-]+\s+){1,4})?"
             r"(?:does|do|did|has|have|had|is|are|were|can|could|will)\b|"
             r"^\W*who\s+(?:are|were)\s+(?:the\s+)?(?:\w+\s+){0,3}\w+s\b"),
)
# Words that state a reason or a purpose: a "why" question is answered by a sentence that gives one.
CAUSE_MARKERS = re.compile(r"\b(?:because|since|due to|owing to|in response to|as a result|response to|so that|"
                           r"in order to|aims? to|aimed|goals?|purpose|objectives?|motivat\w*|seeks? to|intended to|"
                           r"to become|to ensure|to reach|to achieve|drive[ns]?|prompted|spurred|stimulated|inspir\w*|"
                           r"concerns? (?:about|over)|reasons?|rationale|end goal)\b", re.I)
# A sentence that opens with a consequence ("Hence, Wuhan is home to two MICs") states a result; its reasons are in
# the sentence before it, which a why-answer brings along.
CONSEQUENCE_OPENERS = re.compile(r"^\W*(?:hence|therefore|thus|consequently|as a result|accordingly|for this reason|"
                                 r"that is why|this is why|for these reasons)\b", re.I)
# ... and a sentence that opens by explaining the one before ("This is due in part to ...") gives its reasons.
REASON_OPENERS = re.compile(r"^\W*(?:(?:this|that|it)\s+(?:is|was)\s+(?:due|because|owing|explained|driven|largely due|"
                            r"partly due|in part due)\b|the reasons?\s+(?:is|are|was|were|being)\b|this stems from\b)", re.I)
# A sentence that opens by pointing back ("This direction from the central government ...", "These centers ...")
# needs the sentence it points to: an answer quoting it brings that sentence first.
DEMONSTRATIVE_OPENERS = re.compile(r"^\W*(?:this|these|such)\s+(?!(?:is|was|are|were|report|review|paper|document|"
                                   r"study|section|chapter)\b)[a-z]+\b(?!\s+(?:is|was)\s+(?:due|because))", re.I)
# A question that opens with "why" asks for reasons, whatever figure it mentions later.
WHY_SHAPE = re.compile(r"^\W*(?:why|how come)\b", re.I)
# Sentences about the document itself ("This report summarizes ...", "This review discusses ..."): they echo
# every topic word of a question but answer none, unless the question is about the document.
METADISCOURSE = re.compile(r"^\W*(?:this|the present|our)\s+(?:report|review|paper|document|study|section|"
                           r"chapter|publication|analysis)\b", re.I)
# "how many / how much / how long ..." ask for a figure: a lookup, never an explanation.
FIGURE_SHAPE = re.compile(r"\bhow\s+(?:many|much)\b|^\W*how\s+(?:long|old|often|big|large|far|high|fast)\b", re.I)

# A question about how the document is laid out (answered with its parts in order, not with sentences).
STRUCTURE_SHAPE = re.compile(r"\b(?:organi[sz]ed|organi[sz]ation|structured|laid out|arranged|outline|table of contents|"
                             r"contents|chapters|sections|parts)\b", re.I)
# A table named in a question ("table 1", "Table A.1"): a summary of it is built from the parsed table.
TABLE_REF = re.compile(r"\btable\s+([A-Z]?\.?\d+(?:\.\d+)*)\b", re.I)
# Words of a question about a table as a whole ("what does table 2 show / contain / list").
TABLE_WHOLE_WORDS: frozenset[str] = frozenset(
    "table tables show shows contain contains list lists include includes present presents give gives about in "
    "summarize summarise summary overview describe content contents".split()
)
# A question that opens by asking a quantity ("what share of ...", "how many ...") is a lookup, even when it
# compares ("... versus ...") or asks what something is like.
QUANTITY_SHAPE = re.compile(r"^\W*(?:what\s+(?:percent|percentage|share|fraction|proportion)\s+of|how\s+many|how\s+much)\b",
                            re.I)
# "By how much did X grow?" asks a change between two values: a table row of levels holds none (its headers would
# say "growth" or "change").
CHANGE_SHAPE = re.compile(r"\bhow\s+(?:much|fast|many)\b.*\b(?:grow|grew|grown|increase|increased|rise|rose|risen|fall|"
                          r"fell|fallen|decline|declined|drop|dropped|shrink|shrank|change|changed|jump|jumped)\b", re.I)
CHANGE_HEADER_WORDS: frozenset[str] = frozenset("growth grow change increase decrease rise decline".split())
# Words that label a part of a document ("the Innovation Leadership Section"): not words of the name they follow.
PART_WORDS: frozenset[str] = frozenset("section sections subsection chapter appendix part".split())
# Section titles that speak for the report as a whole (whole-report questions draw on them).
WHOLE_REPORT_SECTIONS: tuple[str, ...] = ("abstract", "executive summary", "conclusion", "conclusions", "summary",
                                          "summary and conclusions", "key findings", "findings")
# Endings (as the stemmer leaves them) that make a noun of a verb or an adjective ("linkage" from "link",
# "governance" from "govern"): a title word with one of them names what its base asks about.
DERIVED_ENDINGS: tuple[str, ...] = ("ag", "anc", "enc", "ment", "ion", "ation", "al", "ity", "ur", "ship")
# Endings that make a known English word from a known base ("staffing" is "staff" + "ing"): such a word
# is a real word, never a typo to mend.
ENGLISH_SUFFIXES: tuple[str, ...] = ("ing", "ings", "ed", "er", "ers", "es", "s", "ly", "ment", "ments", "ness",
                                     "ion", "ions", "al", "ally", "ity", "ities", "ive", "able")
# Words that frame a topic question but are not the topic (asking for the report's view on X).
TOPIC_FRAME_WORDS: frozenset[str] = frozenset(
    "what does do did the this report document paper say says said state states tell me about discuss discusses "
    "cover covers mention mentions summarize summarise summary overview give an a of on describe explain section "
    "chapter appendix part brief gist recap please could you can write written is are was were in its their it "
    "they main key points findings takeaways compare compared comparison differ differs difference differences "
    "versus vs contrast similar similarity similarities common alike unlike".split()
)
# A question about the whole report may frame itself with these ("the big picture", "in a nutshell", "this NIST
# report"): with the report's own subject words, they leave it no topic of its own.
WHOLE_REPORT_FRAME_WORDS: frozenset[str] = frozenset(
    "overall big picture story narrative nutshell bottom line takeaway takeaways doc u general broad whole entire "
    "short brief quick tl dr tldr".split()
)
# "How many people ..." is answered by a count of any of these ("about 5,000 staff members", "80 researchers").
PEOPLE_WORDS: frozenset[str] = frozenset({"people", "persons", "person"})
PEOPLE_NOUNS: frozenset[str] = frozenset(
    "staff staffers employees employee workers worker personnel researchers researcher scientists scientist "
    "engineers engineer members member academicians academician students faculty experts professionals "
    "people persons".split()
)
# What a question may ask about the report itself (its method, sources, caveats, purpose), which the report tells
# where it speaks of itself ("This report is based on ..."), not in its chapters.
REPORT_ASPECT_WORDS: frozenset[str] = frozenset(
    "method methods methodology approach sources source data information evidence base based rely relies gather "
    "gathered collect collected caveat caveats limitation limitations limits weakness weaknesses shortcomings "
    "purpose scope aim aims goal objective intent".split()
)
# "this report", "the NIST report", "this doc": the document itself, by whatever name.
DOCUMENT_REFERENCE = re.compile(r"\b(?:this|the)\s+(?:[A-Z][\w-]*\s+)?(?:report|document|doc|study|paper|publication|"
                                r"review)\b", re.I)
# Words of a lookup that say where in the report the answer stands or what kind of answer is wanted, not what
# it is about ("named on the title page", "what position does X hold"): the answer need not repeat them.
ANSWER_FRAME_WORDS: frozenset[str] = frozenset(
    "title page cover named listed mentioned noted acknowledgments acknowledgements foreword preface "
    "position role job post hold holds held get gets got getting "
    "phrase phrases phrasing wording expression called".split()
)
# Names after these words are what a question sets aside ("apart from X, which other ..."): the answer need not
# name them.
EXCLUSION_PHRASE = re.compile(r"\b(?:besides|other than|apart from|aside from|except(?: for)?|excluding|beyond)\s+"
                              r"(?:the\s+)?[\w'’&.-]+(?:\s+[A-Z][\w'’&.-]*)*", re.I)
# Phrasal verbs that only say "do" or "create" ("set up", "carry out"): the report words it otherwise
# ("established", "conducted"), so they are not terms an answer must share.
LIGHT_VERB_PHRASES = re.compile(r"\b(?:set|sets|setting|put|puts|carry|carries|carried|bring|brings|brought|come|comes|"
                                r"came|take|takes|took|kick|kicks|kicked|start|starts|started|get|gets|got|"
                                r"stand|stands|stood)\s+(?:\w+\s+){0,2}?(?:up|out|about|forward|off|together)\b", re.I)
# Plurals without an "s" that a "how many" question may count ("how many people work there").
IRREGULAR_PLURALS: tuple[str, ...] = ("people", "staff", "personnel", "children", "men", "women", "workforce",
                                      "faculty", "data", "criteria", "media")
# A table column that counts things ("# of Institutes", "Number of members"): what "how many" asks of a row.
COUNT_COLUMN = re.compile(r"^\s*(?:#|number of|no\. of|count of)\s*\w", re.I)
# Joins a compound question into parts: "How many X are there, and when did they start?"
COMPOUND_SPLIT = re.compile(r",?\s+(?:and|&)\s+(?=(?:what|when|where|which|who|how|why)\b)", re.I)

# --- words the table reader reads (rag/tables.py); the table's own words come from the table itself
# A question asks a table's year column by these words ("when", "founded") ...
TABLE_YEAR_WORDS: frozenset[str] = frozenset(
    "year when established establish founded found launched launch created create start started began begin set "
    "opened awarded formed date dates dated new newly age ages old older oldest newest youngest".split()
)
# ... and its count column ("# of Institutes") by these: "how big is each program", "compare their size".
TABLE_SIZE_WORDS: frozenset[str] = frozenset("size sizes big bigger biggest large larger largest small smaller "
                                              "smallest".split())
# "Yearly", "each year": a rate, not a year column; the table reader reads them as "annual" (a budget's word).
TABLE_RATE_PHRASES = re.compile(r"\b(?:yearly|annually|per year|each year|every year|a year|per annum)\b", re.I)
# ... and its place columns (city, province) by these.
TABLE_PLACE_WORDS: frozenset[str] = frozenset(
    "where located location headquartered headquarters hq based city province home host hosts hosted housed region "
    "sited situated".split()
)
# Words a table computation uses besides the table's own, as written or stemmed: a question made of these and the
# table's words is the table's to answer.
TABLE_OP_WORDS: frozenset[str] = frozenset(
    # operations, rows, kinds of column and filters
    "number count total list name most fewest least largest highest greatest biggest lowest smallest top entry entri "
    "row table each per sector industry principal focus locat establish found launch creat start set open award form "
    "headquarter bas based situat sit exist appear show listed catalog has have had given year city province between "
    "after before since until during belong assign classifi category categori area field type kind many much amount "
    "value figure estimat est report state combin combined altogether together overall than more one single only just "
    "two multiple several host span spann cover appendix three all every compare respectiv country countri program "
    "versus vs against side "
    "see get make take "
    # light verbs carry no content of their own ("what share comes from", "what does it put into")
    "come comes came put go goes went give gave use used "
    # qualifiers and collective nouns that leave the rows as they are ("active institutes", "MIC network")
    "active current currently existing operating today now network system "
    # "work mainly on X" is how readers say "principal sector X"
    "work mainly primarily primary chiefly specialize specializes concentrate dedicated devoted deal "
    "bigger larger higher greater smaller lower less fewer "
    # how readers name a percentage column
    "share percent percentage proportion fraction portion".split()
)
# Words a reader uses for a "Percent ..." column.
TABLE_PERCENT_WORDS: frozenset[str] = frozenset("share shar proportion fraction percentage portion %".split())
# Numerals as words (and Roman): in a row's name they number it, they do not name it.
NUMBER_WORDS: frozenset[str] = frozenset("one two three four five six seven eight nine ten i ii iii iv v vi vii viii ix x".split())
# Comparatives that ask for the smaller of two values ("which is smaller").
SMALLER_WORDS: frozenset[str] = frozenset("smaller lower less fewer".split())

# --- words the fact answerer reads (rag/answer.py)
# Words that frame a lookup question (question words, asking verbs, the report's parts): never a name asked about.
QUESTION_WORDS: frozenset[str] = frozenset(
    "what which who whom whose when where why how does do did is are was were can could would should tell list name "
    "give according in the a an and of for compare describe explain summarize i report table abstract summary "
    "executive acknowledgments acknowledgements per appendix section say says said mention mentioned mentions figure "
    "fig page document".split()
)
# "How does X differ from Y": the answer states X and Y, it need not say "differ".
FRAMING_WORDS = "compare compared comparison comparing differ differs difference differences versus vs contrast contrasted " \
                "relative relatively across"
# "Which source is cited for X": the passage says X, it need not say "source"; nor "text" in "the source for the
# text of the plan", which names the source, not a passage's words.
SOURCE_WORDS = "source sources sourced cite cites cited citation citations reference references translation translations " \
               "publication publications version edition text texts wording rely relies relied use uses used draw draws drew"
# About a numbered figure, these ask where its data is from too ("what dataset is Figure 1 based on").
FIGURE_SOURCE_WORDS = "data dataset datasets based"
# Verbs of a "Who <verb>s ...?" question that do not say what the person does ("who is", "who has").
# "Who serves as director?" asks for the director: copular verbs are not what a sentence must say
NOT_ASKED_VERBS: frozenset[str] = frozenset("is was has does says thinks means makes gets goes uses serves served "
                                            "acts acted works worked ended ends turned turns seems seemed appears "
                                            "appeared happened happens".split())  # "who ended up being ..."
# "Who heads X?" is answered by "the director of X": verbs and nouns of leading something.
ROLE_WORDS = "head heads direct directs director chair chairs chairman chairwoman president presides chief manage " \
             "manages manager run runs"
# "Who is the director of X?", "the name of the vice minister": a person is asked for, by one of these roles. The
# answer must name someone the question does not (rag/answer.py AnswerKind.person).
PERSON_ROLES = "director head boss ceo chairman chairwoman chairperson chair president minister secretary leader chief manager"
# Words of the names of bodies and places, not of people ("Beijing Non-Ferrous Metal Research Institute", "Accelink
# Technologies", "Haidian District").
ORGANISATION_WORDS = ("national manufacturing innovation center centre institute university research laboratory academy "
                      "society ministry department office bureau council company co ltd inc group technology science "
                      "engineering industry industrial development bank corporation association program programme plan "
                      "project network foundation agency administration commission committee school college "
                      "district province city county region zone park area street road")
# Common English abbreviations in names: "Co., Ltd." is a company.
NAME_ABBREVIATIONS: dict[str, str] = {"co": "company", "ltd": "limited", "corp": "corporation", "inc": "incorporated",
                                      "univ": "university", "govt": "government", "intl": "international",
                                      "assn": "association"}

# Countries and regions, by their English names and demonyms. A question naming one the document never
# mentions ("india", "Brazil's centers") is about something the report does not cover, whatever its casing;
# which of these a document mentions comes from the document, not from this list.
PLACE_NAMES: frozenset[str] = frozenset("""
afghanistan albania algeria argentina armenia australia austria azerbaijan bangladesh belarus belgium bolivia
brazil bulgaria cambodia canada chile colombia croatia cuba czechia denmark ecuador egypt estonia ethiopia
finland france georgia ghana greece hungary iceland india indonesia iran iraq ireland israel italy japan
jordan kazakhstan kenya korea kuwait laos latvia lebanon libya lithuania luxembourg malaysia mexico mongolia
morocco myanmar nepal netherlands nigeria norway pakistan peru philippines poland portugal qatar romania russia
rwanda scotland serbia singapore slovakia slovenia spain sweden switzerland syria taiwan tanzania thailand
tunisia turkey uganda ukraine uruguay uzbekistan venezuela vietnam yemen zambia zimbabwe
africa antarctica asean brics britain england wales
indian japanese korean taiwanese russian french british canadian brazilian italian spanish israeli mexican
vietnamese indonesian australian swiss swedish dutch turkish polish
""".split())

# Ordinals in words: "3rd" is read "third" where the documents write the word and never the digits.
ORDINAL_WORDS: tuple[str, ...] = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                                  "tenth", "eleventh", "twelfth")
# Demonyms and the country names a document may write instead ("German programs": a passage on Germany's; "American
# policymakers": the U.S.). A passage naming the country holds its demonym too.
DEMONYMS: dict[str, tuple[str, ...]] = {
    "chinese": ("china", "prc"), "german": ("germany",), "american": ("u.s.", "america", "usa"),
    "japanese": ("japan",), "korean": ("korea",), "french": ("france",), "british": ("britain", "u.k."),
    "indian": ("india",), "taiwanese": ("taiwan",), "russian": ("russia",), "canadian": ("canada",),
    "italian": ("italy",), "european": ("europe",),
}

# Words a policy question and a policy report use for the same thing ("the target number" is the report's "goal
# of 40"): a question's word is met by any word of its group.
SAME_MEANING: tuple[frozenset[str], ...] = (
    frozenset({"goal", "goals", "target", "targets", "aim", "aims", "objective", "objectives"}),
    frozenset({"problem", "problems", "barrier", "barriers", "obstacle", "obstacles", "challenge", "challenges",
               "bottleneck", "bottlenecks", "hurdle", "hurdles"}),
    frozenset({"ministry", "ministries", "department", "departments"}),
    frozenset({"rank", "ranks", "ranked", "ranking", "rankings", "place", "placed", "placing"}),
    frozenset({"category", "categories", "bucket", "buckets"}),
    frozenset({"global", "globally", "worldwide"}),
    frozenset({"reportedly", "supposedly", "allegedly", "purportedly", "apparently"}),
    frozenset({"maker", "makers", "manufacturer", "manufacturers", "producer", "producers"}),
    frozenset({"pick", "picks", "picked", "choose", "chooses", "chose", "chosen", "select", "selects", "selected",
               "selection"}),
    frozenset({"body", "bodies", "entity", "entities"}),
    frozenset({"fast", "faster", "rapid", "rapidly", "quick", "quickly", "swift", "swiftly"}),
    frozenset({"hard", "harder", "difficult", "difficulty", "difficulties"}),
    frozenset({"ensure", "ensures", "ensured", "guarantee", "guarantees", "guaranteed", "assure", "assures"}),
    frozenset({"promise", "promises", "promised", "pledge", "pledges", "pledged"}),
    frozenset({"firm", "firms", "company", "companies"}),
    frozenset({"bid", "bids", "proposal", "proposals"}),
    frozenset({"earliest", "first"}),
    frozenset({"decide", "decides", "decided", "determine", "determines", "determined"}),
    frozenset({"country", "countries", "nation", "nations"}),
    frozenset({"response", "responses", "respond", "responds", "responded", "responding", "reaction", "reactions",
               "react", "reacts", "reacted"}),
    frozenset({"run", "runs", "operate", "operates", "operated", "operating", "operator", "operators"}),
    frozenset({"tackle", "tackles", "tackled", "tackling", "address", "addresses", "addressed", "addressing", "focus",
               "focuses", "focused", "focusing"}),
)
# Words before "number" that make it the figure asked for ("the target number of centers", "its total number"):
# read by rag/query.py NUMBER_OF and rag/answer.py (a figure is asked; the word "number" need not be in the answer).
NUMBER_MODIFIERS: tuple[str, ...] = ("target", "targeted", "total", "planned", "expected", "intended", "projected",
                                     "goal")
# A quantity said by comparison rather than as a figure ("enough factories to supply the entire world's needs",
# "as many ... as all of those in Europe", "twice as large"): answers "how much X" when no money, count or share is
# asked. Trades: a sentence with no figure can answer a "how much" question when it says how much relative to
# something.
RELATIVE_QUANTITY = re.compile(r"\benough\b|\bas\s+(?:many|much|large|big)\b|\b(?:twice|double|triple|half)\s+as\b|"
                               r"\b(?:times|fold)\s+(?:more|larger|bigger|greater|as)\b", re.I)
# Words that qualify a role without naming anyone ("the Vice Minister", "the acting director").
ROLE_QUALIFIERS = "vice deputy acting under executive"

# A capital that wants, aims or plans stands for its government ("How many centers did Beijing aim to have?"): the
# country the documents name. As a place ("MICs in Beijing") it stays the city.
CAPITAL_GOVERNMENTS: dict[str, str] = {"beijing": "China", "washington": "the United States", "berlin": "Germany"}
INTENT_VERBS = ("aim aims aimed want wants wanted plan plans planned intend intends intended hope hopes hoped seek "
                "seeks sought expect expects expected target targets targeted push pushes pushed decide decides "
                "decided")

# A general word a reader asks with, and the particular words a document writes for it ("which subnational
# governments": "22 provinces ... and four municipality governments"). One way: a province is subnational, but a
# question about provinces is not answered by a sentence about any subnational body.
BROADER_WORDS: dict[str, str] = {
    "subnational": "province provinces provincial municipal municipality municipalities region regions regional",
}
# "What is the pledge in US dollars?": the currency asked for (question pattern), and how a text writes an amount
# in it. An amount in another currency does not answer ("300 billion CNY" for "in dollars").
CURRENCIES: dict[str, tuple[str, str]] = {
    "usd": (r"\bin\s+(?:u\.?s\.?\s+)?(?:dollars?|usd)\b|\b(?:usd|dollar)\s+(?:terms|amount|value|equivalent)\b",
            r"\$|\bUSD\b|\bdollars?\b"),
    "eur": (r"\bin\s+(?:euros?|eur)\b", r"€|\bEUR\b|\beuros?\b"),
    "cny": (r"\bin\s+(?:yuan|cny|rmb|renminbi)\b", r"¥|\bCNY\b|\bRMB\b|\byuan\b|\brenminbi\b"),
}
# Short forms users type for words a document writes in full. A short form is read as its long form only
# when the documents use the long form and never the short one ("lab" -> "laboratory").
SHORT_FORMS: dict[str, str] = {
    "lab": "laboratory", "labs": "laboratories", "govt": "government", "gov": "government", "dept": "department",
    "univ": "university", "uni": "university", "info": "information", "tech": "technology", "mfg": "manufacturing",
    "intl": "international", "natl": "national", "approx": "approximately", "yr": "year", "yrs": "years",
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July",
    "aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November", "dec": "December",
    "fig": "figure", "figs": "figures", "doc": "document", "docs": "documents", "exec": "executive",
    "nonprofit": "not-for-profit", "nonprofits": "not-for-profit",
}

# What a reference-list entry holds besides its title: a question asking these of a title it names is answered
# by the entry ("Who wrote <title>?", "When was <title> published?").
# Sections whose bullets are entries of a list of sources ("Appendix C. Additional Resources"): an entry is its
# authors, date and title, as a reference-list entry is.
SOURCE_LIST_SECTION_WORDS = "references resources bibliography sources reading literature"
REFERENCE_FIELD_WORDS = "wrote write written author authors authored published publish publication year date"

# A question that opens with a "when" clause and asks its question after the comma ("When MIIT announces a topic,
# how many guidelines come with it?"): it asks no date.
WHEN_CLAUSE_LEAD = re.compile(r"^\W*when\s[^,?]+,\s*(?:what|which|how|who|whom|whose|where|why|is|are|was|were|does|"
                              r"do|did|can|could)\b", re.I)

# A period a question asks about, read to compare with the documents' publication date: "late 2025", "the second
# half of 2025", "December 2025", "all of 2025". Group "when" is the words before the year, "year" the year.
MONTH_NAMES: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july", "august",
                                "september", "october", "november", "december")
PERIOD_PHRASE = re.compile(r"\b(?P<when>late|the\s+end\s+of|end\s+of|(?:the\s+)?(?:second|latter|last)\s+half\s+of|"
                           r"(?:the\s+)?(?:third|fourth|last)\s+quarter\s+of|q[34]|all\s+of|(?:the\s+)?full\s+year|"
                           r"(?:the\s+)?whole\s+of|" + "|".join(MONTH_NAMES) + r")(?:\s+of)?\s+(?P<year>(?:19|20)\d\d)\b",
                           re.I)
# ... and the month each of those periods reaches past (a whole year, its end or second half: December)
PERIOD_END_MONTH: dict[str, int] = {**{m: i + 1 for i, m in enumerate(MONTH_NAMES)}}
