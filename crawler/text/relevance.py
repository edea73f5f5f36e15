"""Is an article about China–Russia military cooperation? Explainable weighted cues, no ML.

The signal is co-occurrence inside one sentence: China and Russia *bound together* ("China and
Russia", "Sino-Russian", "held drills with Russia", "中俄", "российско-китайские") near an activity
(exercise, patrol) or a cooperation cue (arms, military technology, defence talks). Both countries
somewhere in the text is worth little: trade, energy and UN-vote stories name both all the time.
Drills of either with a third country ("China and Belarus") count against the article when they
are its subject (title).

The lexicon (countries, places, cues) lives here because exercise detection reuses it.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from config.fastregex import FastRegex, _trigger, top_level_alternatives
from crawler.text.script import to_simplified
from crawler.text.sentences import iter_sentences

THRESHOLD = 0.5
NEAR_CHARS = 110  # an activity noun this close to the China–Russia binding belongs to it
WEAK_CAP = 0.4  # both countries + a cue but unbound: capped, never relevant alone
THIRD_PARTY_FACTOR = 0.35  # article whose subject is another pairing's drill
ARTICLE_BONUS = 0.3  # both bound in one sentence, an exercise in another

# --- places (masked before country detection: "East China Sea" is not China) -------------------

# canonical name, pattern (en|ru|zh), host country when it is on land
PLACES: tuple[tuple[str, str, str | None], ...] = (
    ("Sea of Japan", r"Sea of Japan|Japan Sea|(?i:японск\w* мор\w*)|日本海", None),
    ("East China Sea", r"East China Sea|(?i:восточно-китайск\w* мор\w*)|东海|東海", None),
    ("South China Sea", r"South China Sea|(?i:южно-китайск\w* мор\w*)|南海|南中国海", None),
    ("Yellow Sea", r"Yellow Sea|(?i:ж[её]лт\w* мор\w*)|黄海", None),
    ("Sea of Okhotsk", r"(?:Sea of )?Okhotsk(?: Sea)?|(?i:охотск\w* мор\w*)|鄂霍次克海", None),
    ("Bering Sea", r"Bering Sea|(?i:берингов\w* мор\w*)|白令海", None),
    ("Chukchi Sea", r"Chukchi Sea|(?i:чукотск\w* мор\w*)|楚科奇海", None),
    ("Barents Sea", r"Barents Sea|(?i:баренцев\w* мор\w*)|巴伦支海", None),
    ("Baltic Sea", r"Baltic(?: Sea)?|(?i:балтийск\w* мор\w*)|波罗的海", None),
    ("Mediterranean Sea", r"Mediterranean(?: Sea)?|(?i:средиземн\w* мор\w*)|地中海", None),
    ("Arabian Sea", r"Arabian Sea|(?i:аравийск\w* мор\w*)|阿拉伯海", None),
    ("Gulf of Oman", r"Gulf of Oman|(?i:оманск\w* залив\w*)|阿曼湾", None),
    ("Indian Ocean", r"Indian Ocean|(?i:индийск\w* океан\w*)|印度洋", None),
    ("Arctic", r"Arctic(?: Ocean)?|(?i:арктик\w*|северн\w* ледовит\w* океан\w*)|北极|北冰洋", None),
    ("Western Pacific", r"(?i:western|west) Pacific|(?i:западн\w* част\w* тих\w* океан\w*)|西太平洋", None),
    ("North Pacific", r"(?i:northern|north) Pacific|(?i:северн\w* част\w* тих\w* океан\w*)|北太平洋", None),
    ("Pacific Ocean", r"Pacific(?: Ocean)?|(?i:тих\w* океан\w*)|太平洋", None),
    ("Peter the Great Bay", r"Peter the Great (?:Bay|Gulf)|(?i:залив\w* петра великого)|彼得大帝湾", None),
    ("Tsugaru Strait", r"Tsugaru(?: Strait)?|(?i:сангарск\w* пролив\w*)|津轻海峡", None),
    ("Soya Strait", r"Soya Strait|La P[ée]rouse Strait|(?i:пролив\w* лаперуза)|宗谷海峡", None),
    ("Miyako Strait", r"Miyako Strait|宫古海峡", None),
    ("Taiwan Strait", r"Taiwan Strait|(?i:тайваньск\w* пролив\w*)|台湾海峡", None),
    ("Alaska", r"Alaska\w*|(?i:аляск\w*)|阿拉斯加", None),
    ("Russian Far East", r"(?:Russia's )?[Ff]ar[- ]?[Ee]ast(?:ern Russia)?|far eastern Russia|"
                         r"(?i:дальн\w* восток\w*)|远东", "RU"),
    ("Siberia", r"Siberia\w*|(?i:сибир\w*)|西伯利亚", "RU"),
    ("Vladivostok", r"Vladivostok|(?i:владивосток\w*)|符拉迪沃斯托克|海参崴", "RU"),
    ("Khabarovsk", r"Khabarovsk|(?i:хабаровск\w*)|哈巴罗夫斯克", "RU"),
    ("Primorsky Krai", r"Primorsk\w*(?: Krai)?|Primorye|(?i:приморь\w*|приморск\w* кра\w*)", "RU"),
    ("Kaliningrad", r"Kaliningrad|Baltiysk|(?i:калининград\w*|балтийск\b)|加里宁格勒", "RU"),
    ("Novorossiysk", r"Novorossiysk|(?i:новороссийск\w*)|新罗西斯克", "RU"),
    ("Orenburg", r"Orenburg|Donguz|(?i:оренбург\w*)|奥伦堡", "RU"),
    ("Chebarkul", r"Chebarkul|Chelyabinsk|(?i:чебаркул\w*|челябинск\w*)|切巴尔库尔", "RU"),
    ("Qingdao", r"Qingdao|(?i:циндао)|青岛", "CN"),
    ("Zhanjiang", r"Zhanjiang|(?i:чжаньцзян\w*)|湛江", "CN"),
    ("Shanghai", r"Shanghai|(?i:шанха\w*)|上海", "CN"),
    ("Zhoushan", r"Zhoushan|舟山", "CN"),
    ("Ningxia", r"Ningxia|Qingtongxia|(?i:нинся)|宁夏|青铜峡", "CN"),
    ("Inner Mongolia", r"Inner Mongolia|Zhurihe|(?i:внутренн\w* монголи\w*)|内蒙古|朱日和", "CN"),
    ("Xinjiang", r"Xinjiang|(?i:синьцзян\w*)|新疆", "CN"),
    ("Guangdong", r"Guangdong|(?i:гуандун\w*)|广东", "CN"),
    ("Shandong", r"Shandong|(?i:шаньдун\w*)|山东", "CN"),
    ("Brest", r"Brest\b|(?i:бреск\w*|брест\w*)|布列斯特", "BY"),
)


_CJK_START = re.compile(r"[\u3400-\u9fff]")


def _word_initial(pattern: str) -> str:
    """\\b before each alternative that starts with a letter (not CJK: no spaces there), so that
    a place name never starts inside a word and FastRegex passes over letters inside words."""
    return "|".join(alt if alt.startswith(("\\b", "(?<")) or _CJK_START.match(alt) else "\\b" + alt
                    for alt in top_level_alternatives(pattern))


_PLACE_PATTERN = "|".join(f"(?P<p{i}>{_word_initial(pattern)})" for i, (_, pattern, _) in enumerate(PLACES))
_PLACE_RE = FastRegex(_PLACE_PATTERN)
# Lowercase n, w and f start only "north(ern) Pacific", "west(ern) Pacific" and "far east": frequent
# letters, and the trigger trying each costs more than the rest of the place scan. A text without
# "Pacific", "east" or "East" has no such match: there a trigger without them finds all the others.
# (Checked here: if another place starts with one of them, the full trigger stays. Keep "Pacific"
# and [Ee]ast in those three patterns, or drop the letter from _RARE_PLACE_STARTS.)
_RARE_PLACE_STARTS = {"n": "North Pacific", "w": "Western Pacific", "f": "Russian Far East"}


@functools.cache
def _common_place_scan() -> FastRegex:
    """_PLACE_RE with a trigger that skips lowercase n, w and f: exact only on text without "Pacific",
    "east" or "East" (see _place_matches), so it is not a module-level lexicon."""
    scan = FastRegex(_PLACE_PATTERN)
    index = {name: i for i, (name, _, _) in enumerate(PLACES)}
    if scan.trigger is not None and len(scan.alternatives) == len(PLACES) and all(
            scan.starts.get(first) == (index[place],) for first, place in _RARE_PLACE_STARTS.items()):
        scan.trigger = _trigger([p for p in scan.prefixes if p[0][0] not in _RARE_PLACE_STARTS])
    return scan


def _place_matches(text: str):
    """_PLACE_RE.finditer(text), with the smaller trigger where it finds the same."""
    rare = "Pacific" in text or "east" in text or "East" in text
    return (_PLACE_RE if rare else _common_place_scan()).finditer(text)


# "in the Chukchi and Bering Seas", "near the Laptev Sea": seas the list does not know.
_SEA_PHRASE = re.compile(r"\b(?:in|near|over|off|across|into|through|to|from)\s+the\s+"
                         r"((?:[A-Z][a-z]+\s+){1,3}?)(?:and\s+([A-Z][a-z]+)\s+)?(Sea|Seas|Ocean|Strait|Bay|Gulf)\b")

# --- countries --------------------------------------------------------------------------------

# Leaders and ministers stand for their country ("Putin watched the drills").
_CN_PEOPLE = r"\bXi Jinping\b|\bXi\b|\bLi Qiang\b|\bWang Yi\b|\bDong Jun\b|\bLi Shangfu\b|\bZhang Youxia\b|\bWei Fenghe\b|" \
             r"Си Цзиньпин\w*|习近平|王毅|董军"
_RU_PEOPLE = r"\bPutin\b|\bShoigu\b|\bBelousov\b|\bLavrov\b|\bGerasimov\b|\bMedvedev\b|" \
             r"(?i:\bпутин\w*|\bшойгу\b|\bбелоусов\w*|\bлавров\w*|\bгерасимов\w*)|普京|绍伊古|别洛乌索夫|拉夫罗夫"
# Order matters where one name contains another (白俄罗斯 Belarus contains 俄罗斯 Russia).
COUNTRIES: tuple[tuple[str, str], ...] = (
    ("BY", r"\bBelarus\w*|\bBelorussia\w*|\bMinsk\b|(?i:беларус\w*|белорус\w*|минск\w*)|白俄罗斯|白俄"),
    ("CN", r"\b(?:China|Chinese|Beijing|PRC|PLA|Sino)\b|People's Liberation Army|"
           r"(?i:\bкита[йяюе]\w*|\bкнр\b|\bпекин\w*|\bноак\b)|中华人民共和国|中国|中方|解放军|北京|我军|"
           r"中(?=俄)|(?<=俄)中|" + _CN_PEOPLE),
    ("RU", r"\b(?:Russia|Russian|Russians|Moscow|Kremlin|Russo)\b|"
           r"(?i:\bросси\w*|\bрусск\w*|\bмоскв\w*|\bкремл\w*)|\bРФ\b|俄罗斯|俄方|俄军|俄国|莫斯科|" + _RU_PEOPLE + "|俄"),
    ("KP", r"\bNorth Korea\w*|\bPyongyang\b|\bDPRK\b|КНДР|(?i:северн\w* коре\w*)|朝鲜"),
    ("KR", r"\bSouth Korea\w*|\bSeoul\b|\bROK\b|(?i:южн\w* коре\w*|сеул\w*)|韩国|韩方"),
    ("ZA", r"\bSouth Africa\w*|(?i:южн\w* африк\w*|юар)|南非"),
    ("IN", r"\bIndia\b|\bIndian\b|\bIndians\b|\bNew Delhi\b|(?i:\bинди[яиюе]\w*|\bиндийск\w*)|印度"),
    ("PK", r"\bPakistan\w*|(?i:\bпакистан\w*)|巴基斯坦|巴方"),
    ("KZ", r"\bKazakh\w*|(?i:\bказах\w*)|哈萨克斯坦"),
    ("KG", r"\bKyrgyz\w*|\bKirgiz\w*|(?i:\bкиргиз\w*|\bкыргыз\w*)|吉尔吉斯斯坦"),
    ("TJ", r"\bTajik\w*|(?i:\bтаджик\w*)|塔吉克斯坦"),
    ("UZ", r"\bUzbek\w*|(?i:\bузбек\w*)|乌兹别克斯坦"),
    ("MN", r"\bMongolia\w*|(?i:\bмонгол\w*)|蒙古"),
    ("IR", r"\bIran\w*|\bTehran\b|(?i:\bиран\w*)|伊朗"),
    ("US", r"\bUnited States\b|(?<!\w)U\.S\.?(?![\w.])|\bUSA?\b|\bAmericans?\b|\bPentagon\b|\bWashington\b|"
           r"США|(?i:\bамерикан\w*|\bвашингтон\w*)|美国|美方|美军"),
    ("JP", r"\bJapan\w*|\bTokyo\b|(?i:\bяпон\w*|\bтокио\b)|日本|日方"),
    ("UA", r"\bUkrain\w*|\bKyiv\b|\bKiev\b|(?i:\bукраин\w*|\bкиев\w*)|乌克兰"),
    ("TW", r"\bTaiwan\w*|\bTaipei\b|(?i:\bтайван\w*)|台湾"),
    ("MM", r"\bMyanmar\b|\bBurm\w*|(?i:\bмьянм\w*)|缅甸"),
    ("VN", r"\bVietnam\w*|(?i:\bвьетнам\w*)|越南"),
    ("AM", r"\bArmenia\w*|(?i:\bармян\w*|\bармени\w*)|亚美尼亚"),
    ("AZ", r"\bAzerbaijan\w*|(?i:\bазербайджан\w*)|阿塞拜疆"),
    ("DZ", r"\bAlgeria\w*|(?i:\bалжир\w*)|阿尔及利亚"),
    ("SY", r"\bSyria\w*|(?i:\bсири[яиюй]\w*)|叙利亚"),
    ("NI", r"\bNicaragua\w*|(?i:\bникарагу\w*)|尼加拉瓜"),
    ("LA", r"\bLaos\b|\bLao\b|\bLaotian\b|(?i:\bлаос\w*)|老挝"),
    ("EG", r"\bEgypt\w*|(?i:\bегип\w*)|埃及"),
    ("TH", r"\bThailand\b|\bThai\b|泰国"),
    ("KH", r"\bCambodia\w*|柬埔寨"),
    ("ID", r"\bIndonesia\w*|印度尼西亚|印尼"),
    ("PH", r"\bPhilippine\w*|\bFilipino\w*|\bManila\b|菲律宾"),
    ("AU", r"\bAustralia\w*|澳大利亚"),
    ("GB", r"\bBritain\b|\bBritish\b|\bUnited Kingdom\b|\bUK\b|英国"),
    ("FR", r"\bFrance\b|\bFrench\b|法国"),
    ("DE", r"\bGermany\b|\bGerman\b|德国"),
    ("PL", r"\bPoland\b|\bPolish\b|\bWarsaw\b|(?i:\bпольш\w*|\bпольск\w*)|波兰"),
    ("CA", r"\bCanada\b|\bCanadian\b|加拿大"),
    ("LK", r"\bSri Lanka\w*|斯里兰卡"),
    ("TR", r"\bTurkey\b|\bTurkish\b|\bTürkiye\b|(?i:\bтурци\w*|\bтурецк\w*)|土耳其"),
    ("SA", r"\bSaudi\w*|沙特"),
)
_COUNTRY_RE = FastRegex("|".join(f"(?P<{code}>{pattern})" for code, pattern in COUNTRIES))
# "Russia's defence ministry said": a source, not a participant.
# (A minister or president is an actor: "China's defence minister held talks with ...".)
_SOURCE_AFTER = re.compile(r"^(?:'s|’s)\s+(?:\w+\s+){0,2}?(?:ministry|news|embassy|media|agency|TASS|Xinhua|"
                           r"spokes\w+|officials?|statement|press service|state television)", re.I)

PAIR_TOKEN = FastRegex(
    r"\b(?:Sino|China|Chinese)\s?[-–‐/]\s?(?:Russian|Russia)\b|\b(?:Russo|Russia|Russian)\s?[-–‐/]\s?(?:Chinese|China)\b"
    r"|(?i:российско-китайск\w*|китайско-российск\w*|русско-китайск\w*|китайско-русск\w*|"
    r"россии\s+и\s+китая|китая\s+и\s+россии)|中俄|俄中")
# Between two consecutive country mentions: a list or conjunction ("two Chinese and seven Russian",
# "Russian Tu-95 and Chinese", "China's armed police and Russia's National Guard").
_CONJ_GAP = re.compile(
    r"^(?:(?:(?:'s|’s)\s+(?:[\w'’-]+\s+){0,3}|\s+[\w.-]+\s+)(?:and|&|и)\s+"  # a word, then "and"
    r"|\s*(?:,|and|&|as well as|и|а также|和|与|及|、|同|跟|-|–|/)?\s*(?:(?:and|и)\s+)?)"
    r"(?:(?:\d+|two|three|four|five|six|seven|eight|nine|ten|the|its|their)\s+)?$", re.I)
# "... held exercises with Russia", "met Russian President", "sold Su-35s to China".
_WITH_GAP = re.compile(r"\bwith\s+(?:troops|forces|units|contingents|warships|ships|soldiers)\s+from\s+$|(?:\bwith|\balongside|\bjoined(?:\s+by)?|\bmet|\bmeets|\bhosted|\bvisited|\bс|\bсо|"
                       r"同|与|和|跟)\s+(?:the\s+|his\s+|her\s+|its\s+|their\s+|[A-Z][a-z]+\s+)?$|(?:同|与|和|跟|向)$|"
                       r"\b(?:suppl(?:y|ies|ied|ying)|arm(?:s|ed|ing)?|sell(?:s|ing)?|sold|equip(?:s|ped|ping)?)\s+(?:the\s+)?$|"
                       r"\b(?:deliver|sold|sell|suppl|export|transferr?|provid|ship)\w*\b.*\bto\s+(?:the\s+)?$|"
                       r"(?i:\b(?:постав|прода|переда)\w*\s+$)", re.I)
# A word every match of _WITH_GAP holds: _WITH_GAP tries its branches at every character of the gap
# (its `.*` branch spans it), so most gaps between two countries ("... and ...") are ruled out first.
_WITH_WORD = FastRegex(r"\b(?:with|alongside|joined|met|meets|hosted|visited|с|sell|sold|suppl|equip|deliver|export|"
                       r"transfer|provid|ship|постав|прода|переда)|\barm(?:s|ed|ing)?\s|同|与|和|跟|向", re.I)
TWO_PARTY = FastRegex(r"\b(?:the two|both)\s+(?:countries|nations|sides|militaries|armies|navies|"
                      r"air forces|powers|neighbou?rs|partners)\b|\bthe two countries'|"
                      r"(?i:двух стран|обе страны|обеих стран|двух армий|обеих сторон)|两国|双方|两军", re.I)

# --- cues -------------------------------------------------------------------------------------

ACTIVITY = FastRegex(
    r"\b(?:exercises?|drills?|war[- ]?games?|manoeuvres?|maneuvers?|military training|joint training|"
    r"patrol(?:s|led|ling|ing)?)\b|(?i:учени[еяйюих]\w*|манёвр\w*|маневр\w*|патрул\w*)|"
    r"演习|军演|演练|联合训练|军事训练|巡航|巡逻", re.I)
# "joint" the adjective, not the first word of a name ("Joint Sword", "Joint Sea").
JOINT = FastRegex(r"\b(?:[Jj]oint(?!\s+[A-Z])|jointly|combined|coordinated|bilateral|together)\b|"
                  r"(?i:совместн\w*|вместе с)|联合(?!国)|共同|一同")
# One country taking part in the other's exercise.
PARTICIPATE = FastRegex(r"\b(?:take|takes|took|taking) part\b|\bparticipat\w*|\bjoin(?:s|ed|ing)?\b|"
                        r"\b(?:send|sends|sent|sending)\b|\bcontribut\w*|"
                        r"(?i:участ\w*|присоедин\w*|направ\w*)|参演|参加|参与|派出|派遣", re.I)
COOPERATION = FastRegex(
    r"\bmilitary[- ](?:cooperation|co-operation|technical|ties|links|contacts|relations|alliance|delegation)|"
    r"\bdefen[cs]e (?:cooperation|co-operation|ties|links|relations|talks|technolog\w*|industr\w*|"
    r"ministers?|chiefs?)|\barms (?:sales?|exports?|deliveries|supplies|transfers?|trade|deals?)|"
    r"\bweapons?\b|\bmilitary technolog\w*|\bchiefs? of (?:the )?general staff|\bCentral Military Commission|"
    r"\b[SС]-[345]00\b|\bSu-3[05]\w*|\bSu-57\w*|(?i:\bсу-3[05]\w*|\bсу-57\w*|зенитн\w+ ракетн\w+)|\bmissile[- ]defen[cs]e|\bearly[- ]warning system|"
    r"\bmilitary satellites?|\bmilitary[- ]industrial|"
    r"(?i:военн\w* сотрудничеств\w*|военно-техническ\w*|министр\w* обороны|минобороны|вооружени\w*|"
    r"оружи\w*|военн\w* связ\w*|оборонн\w* сотрудничеств\w*)|"
    r"军事合作|军事技术合作|军技合作|国防部长|防长|武器|军售|军事关系|两军关系|防务合作|国防合作", re.I)
# Forces deployed side by side: "Russian and Chinese bombers", "Chinese and Russian warships".
DEPLOYED = FastRegex(r"\b(?:bombers?|warships?|warplanes?|fleets?|flotillas?|destroyers?|frigates?|naval ships|"
                     r"fighter jets|aircraft)\b|(?i:бомбардировщ\w*|ракетоносц\w*|корабл\w*)|轰炸机|军舰|舰艇|战机", re.I)
FORCES = FastRegex(
    r"\b(?:troops|soldiers|sailors|marines|paratroopers|pilots|servicemen|navy|navies|naval|air forces?|army|"
    r"armies|militaries|military|armed forces)\b|"
    r"(?i:войск\w*|военн\w*|флот\w*|вмф|вмс|армии|армий|моряк\w*)|海军|空军|陆军|军队|军方|官兵", re.I) 


# Words one of which every match of a cue holds when the text is in Latin script (checked on the
# lowercase text: far cheaper than the cue's regex, whose trigger tries every frequent letter). Only
# for text with no character outside Latin and general punctuation, and none of İ ı ſ: no character
# there matches an ASCII letter under IGNORECASE but the letter's own two cases, and Cyrillic/CJK
# branches cannot match. Keep each list in step with its regex: a word missing here loses matches.
NOT_LATIN = re.compile(r"[^\x00-\u012f\u0132-\u017e\u0180-\u024f\u2000-\u206f]")
_TWO_PARTY_WORDS = ("two", "both")
_ACTIVITY_WORDS = ("exercise", "drill", "war", "manoeuvre", "maneuver", "training", "patrol")
_COOPERATION_WORDS = ("military", "defen", "missile", "arms", "weapon", "chief", "s-", "su-", "early")
_DEPLOYED_WORDS = ("bomber", "warship", "warplane", "fleet", "flotilla", "destroyer", "frigate", "naval ships",
                   "fighter jets", "aircraft")
_FORCES_WORDS = ("troop", "soldiers", "sailors", "marines", "pilots", "servicemen", "nav", "air force", "arm",
                 "militar")
_REACTION_WORDS = ("critici", "condemn", "denounc", "slam", "protest", "oppos", "warn", "accus", "object", "decr",
                   "blast", "rebuk")


class _lazy:
    """functools.cached_property without its lock (Python 3.11 takes one on every first read):
    computed once, then stored in the instance's __dict__, which wins over this non-data
    descriptor from then on."""

    def __init__(self, func):
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass(frozen=True)
class Relevance:
    score: float  # 0..1
    relevant: bool
    reasons: tuple[str, ...]
    disagreement: str = ""  # set when exercise detection overruled or questions the score (see analyse)


@dataclass(frozen=True)
class CountryHit:
    code: str
    start: int
    end: int
    source: bool  # possessive source attribution ("Russia's defence ministry"), not an actor


@dataclass(frozen=True)
class PlaceHit:
    name: str
    start: int
    end: int
    host: str | None


@dataclass(frozen=True)
class SentenceFacts:
    """What one sentence says about who does what, shared by relevance and exercise detection.

    Who is named and bound is worked out at once; the cue words on first use (most sentences of an
    article name neither country, and then most cues are never asked for)."""
    text: str
    countries: tuple[CountryHit, ...]
    groups: tuple[frozenset[str], ...]  # countries bound together (conjunction, "with", pair word)
    bind_spans: tuple[tuple[int, int], ...]  # where China and Russia are bound
    places: tuple[PlaceHit, ...]

    @_lazy
    def _latin_lower(self) -> str | None:
        """The text in lowercase where the cue words can rule a cue out (see NOT_LATIN), else None."""
        text = self.text  # (ASCII is Latin: isascii is the quick no)
        return None if not text.isascii() and NOT_LATIN.search(text) else text.lower()

    def _may(self, words: tuple[str, ...]) -> bool:
        """False only when no match of the cue those words stand for can be in the text."""
        low = self._latin_lower
        return low is None or any(word in low for word in words)

    @_lazy
    def two_party(self) -> bool:
        """ "the two countries", "两国" """
        return self._may(_TWO_PARTY_WORDS) and bool(TWO_PARTY.search(self.text))

    @_lazy
    def joint(self) -> bool:
        return bool(JOINT.search(self.text))

    @_lazy
    def participate(self) -> bool:
        """ "took part", "joined", "sent ... to take part" """
        return bool(PARTICIPATE.search(self.text))

    @_lazy
    def _activity_nouns(self) -> tuple[tuple[int, int], ...]:
        return tuple(m.span() for m in ACTIVITY.finditer(self.text)) if self._may(_ACTIVITY_WORDS) else ()

    @_lazy
    def activities(self) -> tuple[tuple[int, int], ...]:
        """Exercise/patrol nouns not led by a third party."""
        return tuple((start, end) for start, end in self._activity_nouns
                     if not _third_party_led(self.text, start, end, self.places, self.countries))

    @property
    def any_activity(self) -> bool:
        """An exercise/patrol noun at all, whoever holds it."""
        return bool(self._activity_nouns)

    @_lazy
    def cooperation(self) -> bool:
        return self._may(_COOPERATION_WORDS) and bool(COOPERATION.search(self.text))

    @_lazy
    def deployed(self) -> bool:
        return self._may(_DEPLOYED_WORDS) and bool(DEPLOYED.search(self.text))

    @_lazy
    def forces(self) -> bool:
        return self._may(_FORCES_WORDS) and bool(FORCES.search(self.text))

    @_lazy
    def may_react(self) -> bool:
        """REACTION may match in the text or a part of it."""
        return self._may(_REACTION_WORDS)

    # codes, actors, cn_ru and third_party: worked out once, asked for by relevance and again by detection
    @_lazy
    def codes(self) -> frozenset[str]:
        return frozenset(hit.code for hit in self.countries)

    @_lazy
    def actors(self) -> frozenset[str]:
        """Countries named as doing something (not "Russia's foreign ministry said")."""
        return frozenset(hit.code for hit in self.countries if not hit.source)

    @_lazy
    def cn_ru(self) -> bool:
        return {"CN", "RU"} <= self.codes

    @_lazy
    def third_party(self) -> frozenset[str]:
        """Partners of China or Russia in a group that lacks the other one."""
        out: set[str] = set()
        for group in self.groups:
            if ({"CN", "RU"} & group) and not {"CN", "RU"} <= group:
                out |= group - {"CN", "RU"}
        return frozenset(out)

    @property
    def bound(self) -> bool:
        return bool(self.bind_spans)

    def two_of_them(self, pair_context: bool) -> bool:
        """ "the two countries" means China and Russia: they are the only two named, or the article's pair."""
        return self.two_party and (pair_context or (self.cn_ru and self.codes <= {"CN", "RU"}))


_PLACE_OF_GROUP = {f"p{i}": (name, host) for i, (name, _, host) in enumerate(PLACES)}


def find_places(text: str) -> tuple[PlaceHit, ...]:
    hits = []
    for m in _place_matches(text):
        name, host = _PLACE_OF_GROUP[m.lastgroup]
        hits.append(PlaceHit(name, m.start(), m.end(), host))
    if not ("Sea" in text or "Ocean" in text or "Strait" in text or "Bay" in text or "Gulf" in text):
        return tuple(hits)  # _SEA_PHRASE needs one of those nouns (case-sensitive); finditer's order is by start
    known = {hit.name for hit in hits}
    for m in _SEA_PHRASE.finditer(text):
        kind = m.group(3).rstrip("s") if m.group(3) == "Seas" else m.group(3)
        for name in (m.group(1).strip(), m.group(2)):
            full = f"{name} {kind}" if name else None
            if full and full not in known and not any(h.start <= m.start(1) < h.end for h in hits):
                hits.append(PlaceHit(full, m.start(1), m.end(), None))
                known.add(full)
    return tuple(sorted(hits, key=lambda h: h.start))


def _mask(text: str, spans) -> str:
    if not spans:
        return text
    chars = list(text)
    for hit in spans:
        chars[hit.start:hit.end] = " " * (hit.end - hit.start)
    return "".join(chars)


def _source_after(text: str, end: int) -> bool:
    """_SOURCE_AFTER on text[end:], without copying the rest of the sentence for every country."""
    return text.startswith(("'s", "’s"), end) and bool(_SOURCE_AFTER.match(text[end:]))


def find_countries(text: str, places: tuple[PlaceHit, ...] | None = None) -> tuple[CountryHit, ...]:
    places = find_places(text) if places is None else places
    masked = _mask(text, places)
    hits = [CountryHit(m.lastgroup, m.start(), m.end(), _source_after(masked, m.end()))
            for m in _COUNTRY_RE.finditer(masked)]
    if any(place.host for place in places):
        return tuple(sorted(hits + _named_hosts(text, places), key=lambda hit: hit.start))
    return tuple(hits)  # finditer's order: by start


def _named_hosts(text: str, places: tuple[PlaceHit, ...]) -> list[CountryHit]:
    """ "Russia's far east", "far eastern Russia": the place names its country, which is there (the
    mask hides it because "East China Sea" is not China)."""
    return [CountryHit(place.host, place.start, place.end, False) for place in places
            if place.host and any(m.lastgroup == place.host for m in _COUNTRY_RE.finditer(text[place.start:place.end]))]


def _bound_pair(text: str, left: CountryHit, right: CountryHit) -> bool:
    gap = text[left.end:right.start]
    if _CONJ_GAP.match(gap):
        return True
    return len(gap) < 120 and not left.source and bool(_WITH_WORD.search(gap)) and bool(_WITH_GAP.search(gap))


def country_groups(text: str, hits: tuple[CountryHit, ...]) -> list[tuple[set[str], int, int]]:
    """Runs of consecutive mentions bound by 'and'/lists/'with': (codes, start, end)."""
    groups: list[tuple[set[str], int, int]] = []
    for left, right in zip(hits, hits[1:]):
        if left.code == right.code or not _bound_pair(text, left, right):
            continue
        if groups and groups[-1][2] >= left.start:
            codes, start, _ = groups[-1]
            groups[-1] = (codes | {right.code}, start, right.end)
        else:
            groups.append(({left.code, right.code}, left.start, right.end))
    return groups


_OTHERS_AFTER = re.compile(r"\s+(?:\w+\s+){0,3}?(?:with|by|of|between|involving|among)\s+(?:its\s+|their\s+|the\s+)?"
                           r"(?P<who>allies|partners|NATO|[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)")
_LED_BEFORE = re.compile(r"\b(?P<who>NATO|[A-Z][\w.]*)[- ](?:led|hosted)\s+(?:\w+\s+)?$|\b(?P<nato>NATO)(?:'s)?\s+$")
# "China and Russia criticised joint exercises by ...": the pair reacts to someone else's drill.
REACTION = FastRegex(r"\b(?:critici[sz]\w*|condemn\w*|denounc\w*|slam\w*|protest\w*|oppos\w*|warn\w*|"
                     r"accus\w*|object\w*|decr(?:y|ied)|blast\w*|rebuk\w*)\b|(?i:осудил\w*|раскритиковал\w*)|"
                     r"谴责|批评|反对", re.I)


@functools.lru_cache(maxsize=512)  # pure; the same few names follow "with"/"by" again and again
def _others(who: str) -> bool:
    return who in ("allies", "partners", "NATO") or bool({h.code for h in find_countries(who)} - {"CN", "RU"})


def _third_party_led(text: str, start: int, end: int, places: tuple[PlaceHit, ...] = (),
                     countries: tuple[CountryHit, ...] = ()) -> bool:
    """ "joint exercises with allies", "drills by the United States and Japan", "US-led drills",
    "The United States and Japan held joint air drills" (the nearest country before is another)."""
    after = _OTHERS_AFTER.match(text, end)
    in_place = after and any(p.start <= after.start("who") < p.end for p in places)  # "Sea of Japan"
    if after and not in_place and after.end() - end <= 50 and _others(after.group("who")):
        return True
    led = _LED_BEFORE.search(text[max(0, start - 30):start])
    if led and _others(led.group("who") or led.group("nato")):
        return True
    before = [h for h in countries if h.end <= start and start - h.end <= 60 and not h.source]
    return bool(before) and before[-1].code not in ("CN", "RU")


@functools.lru_cache(maxsize=1024)  # pure; exercise detection re-reads the sentences relevance read
def analyse_sentence(text: str) -> SentenceFacts:
    places = find_places(text)
    countries = find_countries(text, places)
    groups = country_groups(text, countries)
    binds = [(m.start(), m.end()) for m in PAIR_TOKEN.finditer(text)]
    binds += [(start, end) for codes, start, end in groups if {"CN", "RU"} <= codes]
    return SentenceFacts(text, countries, tuple(frozenset(c) for c, _, _ in groups), tuple(sorted(binds)), places)


def _close(text: str, activity: tuple[int, int], bind: tuple[int, int], may_react: bool = True) -> bool:
    """Near enough, and the pair is not reacting to it: "China and Russia condemned the drills",
    "drills, which Beijing and Moscow denounced". may_react: False when the text holds no reaction word."""
    left, right = sorted((activity, bind))
    if right[0] - left[1] > NEAR_CHARS:
        return False
    if not may_react:
        return True
    reaction_after = activity < bind and REACTION.search(text[bind[1]:bind[1] + 40])
    return not (REACTION.search(text[left[1]:right[0]]) or reaction_after)


def activity_bound(facts: SentenceFacts, pair_context: bool = False) -> bool:
    """An exercise/patrol noun that belongs to China and Russia together in this sentence."""
    # Each way to True below needs China and Russia bound, both acting, or "the two countries";
    # asked first, they spare most sentences the activity nouns and their third-party checks.
    if not (facts.bind_spans or {"CN", "RU"} <= facts.actors or facts.two_party) or not facts._activity_nouns:
        return False
    if not facts.activities:
        return False
    if any(_close(facts.text, a, b, facts.may_react) for a in facts.activities for b in facts.bind_spans):
        return True
    if facts.third_party or (facts.may_react and REACTION.search(facts.text)):
        return False
    if (facts.joint or facts.participate) and {"CN", "RU"} <= facts.actors:
        return True  # "Chinese troops will take part in the Russian exercise", "joint drills"
    return facts.two_of_them(pair_context)


def sentence_weight(facts: SentenceFacts, pair_context: bool) -> tuple[float, str]:
    """Weight of one sentence and the reason, strongest tier first."""
    if not (facts.bind_spans or facts.cn_ru or facts.two_party):
        return 0.0, ""  # every tier needs China and Russia bound, both named, or "the two countries"
    if activity_bound(facts, pair_context):
        return 1.0, "China and Russia together in an exercise/patrol"
    bound = facts.bound or facts.two_of_them(pair_context)
    if bound and facts.cooperation:
        return 0.8, "China and Russia together with a cooperation cue"
    if bound and (facts.deployed or (facts.forces and facts.participate)):
        return 0.7, "Chinese and Russian forces deployed together"
    if bound and facts.forces:
        return 0.4, "China and Russia together with forces"
    if facts.cn_ru and (facts.activities or facts.cooperation or facts.forces):
        return 0.2, "China and Russia in one sentence with a military cue"
    return 0.0, ""


def named_exercise(sentence: str, gazetteer) -> bool:
    """A China–Russia exercise of the gazetteer named in the sentence ("Vostok-2022", "海上联合-2021")."""
    for hit in gazetteer.name_hits(sentence):
        if hit.kind == "instance" and not hit.generic:
            return True
        if hit.kind == "series" and hit.year and not hit.generic:
            known_edition = any(i.year == hit.year for i in gazetteer.instances_of(hit.ref))
            if known_edition or not gazetteer.series_of(hit.ref).ambiguous:
                return True
    return False


def third_party_activity(facts: SentenceFacts) -> bool:
    """Drills of China or Russia with someone else ("China, Belarus hold army drills")."""
    return bool(facts.third_party) and facts.any_activity and not facts.bound


def article_pair_context(all_facts: list[SentenceFacts]) -> bool:
    """China–Russia is the article's main pairing: "the two countries" then refers to them.

    Bound more often than China or Russia with a third country (a China–Belarus drill story that
    mentions "China and Russia" once is about China and Belarus)."""
    together = sum(1 for f in all_facts if f.bound)
    with_others = sum(1 for f in all_facts if f.third_party)
    return together > with_others


def _squash(raw: float) -> float:
    return round(1.0 - math.exp(-raw), 3)


@dataclass
class _Score:
    raw: float = 0.0
    weak: float = 0.0
    third: int = 0
    strong: int = 0
    reasons: list = None

    def add(self, weight: float, why: str, where: str, title: bool) -> None:
        if weight < 0.3:
            self.weak += weight
        else:
            self.raw += weight * (1.5 if title else 1.0)
            self.strong += weight >= 1.0
        self.reasons.append(f"{where}: {why} (+{weight:g})")


def _article_cooccurrence(facts: list[SentenceFacts]) -> bool:
    """Both bound somewhere and an exercise elsewhere: worth a little, much less than one sentence."""
    return any(f.bound for f in facts) and any(f.activities and ({"CN", "RU"} & f.actors) for f in facts)


def score_relevance(text: str, title: str = "", language: str | None = None, gazetteer=None) -> Relevance:
    """Relevance of an article to China–Russia military cooperation.

    language: unused hint (the cues cover en/ru/zh). gazetteer (optional config.gazetteer.Gazetteer):
    a named China–Russia exercise then counts like "China and Russia held joint drills"."""
    sentences = iter_sentences(text, title)
    facts = [analyse_sentence(to_simplified(s.text)) for s in sentences]
    pair_context = article_pair_context(facts)
    score = _Score(reasons=[])
    for sentence, fact in zip(sentences, facts):
        weight, why = sentence_weight(fact, pair_context)
        if weight < 1.0 and gazetteer is not None and named_exercise(fact.text, gazetteer):
            weight, why = 1.0, "names a China–Russia exercise of the gazetteer"
        elif third_party_activity(fact):
            score.third += 1
        if weight:
            where = "title" if sentence.paragraph < 0 else f"s{sentence.index}"
            score.add(weight, why, where, sentence.paragraph < 0)
    return _finish(score, sentences, facts)


def _finish(score: _Score, sentences, facts: list[SentenceFacts]) -> Relevance:
    raw = score.raw + min(score.weak, WEAK_CAP)
    if score.strong == 0 and _article_cooccurrence(facts):
        raw += ARTICLE_BONUS
        score.reasons.append(f"article: China and Russia bound, exercise elsewhere (+{ARTICLE_BONUS:g})")
    title_third = bool(sentences) and sentences[0].paragraph < 0 and third_party_activity(facts[0])
    if title_third or score.third > score.strong:
        raw *= THIRD_PARTY_FACTOR
        score.reasons.append(f"penalty: drills with a third country dominate (x{THIRD_PARTY_FACTOR})")
    value = _squash(raw)
    return Relevance(value, value >= THRESHOLD, tuple(score.reasons))
