"""Residue cleaning of extracted article text (pure).

The input is trafilatura's plain text: one paragraph, heading or list item per line. Every rule here
drops whole lines, never parts of them, and only lines that either match a clutter pattern in full
(anchored, so a sentence that merely mentions "advertisement" stays) or are clearly short
non-sentence residue. One small predicate per clutter family; ``clean_text`` applies them all.

Line families (seen on the seeds and the benchmark pages): ad labels, counters, rating widgets,
comment forms, syndication disclaimers, "Source link" / "Read more" / teaser labels, share bars,
newsletter and follow calls, copyright and legal footers, CDATA and placeholder debris, site
verification tokens, contact lines, timestamp and reading-time lines.
Block rules (a line's neighbours decide): the headline repeated on top, related-news blocks made of
the page's link texts, long navigation menus, widget stubs after the last sentence, and a lone
"Moscow:" dateline merged into its paragraph.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NamedTuple

from crawler.text.literals import GatedRegex
from crawler.text.words import word_count

__all__ = [
    "CleanContext",
    "clean_text",
    "is_residue_line",
    "residue_family",
    "RESIDUE_RULES",
    "normalise_line",
]


def _full(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern meant for ``fullmatch`` on a stripped line."""
    return re.compile(pattern, re.IGNORECASE)


_WORD = re.compile(r"\w+")
# punctuation and symbols that decorate labels: "- ADVERTISEMENT -", "[Related: ...]", "» Read more"
_DECOR = " \t-–—|•·*»«>#:[](){}…."


_STRIP = _DECOR + "\u00a0"


def normalise_line(line: str) -> str:
    """Casefolded, single-spaced, decoration-stripped form of a line, for comparisons."""
    # str.split() splits on the characters that \s matches in a str pattern (both use
    # Py_UNICODE_ISSPACE); the ends it drops are spaces, which the strip drops anyway.
    return " ".join(line.split()).strip(_STRIP).casefold()


# Pure per-line helpers run many times on one line (residue rules, then each block rule): cached.
# Lines repeat little across pages: the bounded caches (a few MB at most) hold the lines of the page at hand.
_CACHE = 2048
_norm = functools.lru_cache(maxsize=_CACHE)(normalise_line)


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


_nwords = functools.lru_cache(maxsize=_CACHE)(word_count)  # len(_words(line))


_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@functools.lru_cache(maxsize=_CACHE)
def _word_count(line: str) -> int:
    """\\w+ tokens, with scripts written without spaces (CJK, kana, hangul) at two characters a word."""
    if line.isascii():  # no wide characters
        return _nwords(line)
    wide = len(_WIDE.findall(line))
    return word_count(_WIDE.sub(" ", line)) + (wide + 1) // 2


_SENTENCE_END = re.compile(r"[.!?。！？]['\"”’»)\]]*$")


class Line(NamedTuple):
    """A line as the family predicates see it, computed once."""

    raw: str  # stripped, as extracted (keeps markup debris and case)
    norm: str  # normalise_line(raw)
    words: int  # number of \w+ tokens

    @classmethod
    def of(cls, raw: str) -> "Line":
        raw = raw.strip()
        return cls(raw, _norm(raw), _nwords(raw))


# --- one predicate per clutter family ------------------------------------------------------------

_AD_LABEL = _full(
    r"(advertisement|advertising|advert|ads?|sponsor(ed|s)?( (content|post|links?|stories))?"
    r"|sponsored by .{1,40}|promoted( content| stories)?|paid (post|content|partner)|partner content"
    r"|anzeige|werbung|publicidad|publicidade|publicité|reklama|реклама|广告|story continues below"
    r"( (this )?(advertisement|ad))?|article continues below( (this )?(advertisement|ad))?"
    r"|continue reading below|skip (this )?ad)"
)


def is_ad_label(line: Line) -> bool:
    """"ADVERTISEMENT", "Sponsor", "Story continues below advertisement"."""
    return bool(_AD_LABEL.fullmatch(line.norm))


_ONE_COUNT = (
    r"([\d.,]+\s*[kmb]?(\s+(comments?|shares?|views?|likes?|reactions?|votes?|replies|reads|points?))?"
    r"|(comments?|shares?|views?|likes?|replies)\s*[:(]?\s*[\d.,]+\s*[kmb]?\)?)"
)
_COUNTER = _full(_ONE_COUNT + r"(\s+" + _ONE_COUNT + r")*")


def is_counter(line: Line) -> bool:
    """Bare counters of social widgets: "0", "3K", "0 3K", "12 comments", "Shares: 4"."""
    return bool(_COUNTER.fullmatch(line.norm))


_RATING = _full(
    r".{0,40}\bavg\.? rating\b.{0,60}|rate this (article|story|post|page)\W*.{0,40}"
    r"|(click to rate this post|no votes so far|be the first to rate this post).{0,60}"
    r"|(rating|average rating|vote count)\s*:?\s*[\d.,/ ]+(\s*\(?\d+ votes?\)?)?"
)


def is_rating_widget(line: Line) -> bool:
    """"0.00 avg. rating (0% score) - 0 votes", "Rate this article", "No votes so far!"."""
    return bool(_RATING.fullmatch(line.norm))


_COMMENT_FORM = _full(
    r"(leave|post|add|write|submit) (a |your )?(reply|comment|response)s?( cancel reply)?"
    r"|cancel reply|comments?|\d* ?comments? (are closed|closed)|join the (discussion|conversation)"
    r"|your email address will not be published\.?( required fields are marked\s*\*?)?"
    r"|required fields are marked\s*\*?|(name|e-?mail|website|comment)\s*\*?"
    r"|save my name, e-?mail, and website in this browser for the next time i comment\.?"
    r"|you must be (logged|signed) in to post a comment\.?|be the first to comment\W*"
    r"|(tell us|let us know) what (you|u) think\W*|show comments|view comments|load(ing)? comments\W*"
    r"|notify me of (follow-up comments|new posts).{0,40}|this site uses akismet to reduce spam.{0,80}"
)


# comment policies: "Comments that insult other readers will not be approved by the moderator."
# (GatedRegex: a case-blind search is slow even to fail; most lines lack the words it needs and skip it.)
_COMMENT_WORD = GatedRegex(r"\b(comments?|comentários?|comentarios?|commentaires?|kommentare?|commenti|комментари\w*)\b",
                           re.IGNORECASE, plain=True)
_MODERATION_WORD = re.compile(
    r"\b(moderat\w*|модерац\w*)|\b(not|não|no|nicht|ne)\b.{0,20}\b(approved|aprovad\w*|publicad\w*|publiés?"
    r"|freigeschaltet|published)", re.IGNORECASE)


def is_comment_form(line: Line) -> bool:
    """"Leave a Reply", "Your email address will not be published. Required fields are marked *",
    comment policies."""
    if _COMMENT_FORM.fullmatch(line.norm):
        return True
    return bool(_COMMENT_WORD.search(line.norm)) and bool(_MODERATION_WORD.search(line.norm))


# Outlets word the wire disclaimer differently ("not been edited by NDTV staff", "auto-generated
# from a syndicated feed", "published from a wire agency feed without modifications", "auto-aggregated
# by a computer program"), so the rule looks for any of these cues in a short line about the story.
# "The transcript has not been edited by the ministry" names no staff and no feed, and stays.
_SYNDICATION_CUE = GatedRegex(
    r"syndicated (news )?feed|wire (agency )?feed|news agency feed|agency feeds?|auto-?aggregated"
    r"|not been (created or )?edited by .{1,40}\bstaff\b|(except for|only) the headline"
    r"|without modifications? to the text",
    re.IGNORECASE, plain=True,
)
_SYNDICATION_TOPIC = re.compile(r"\b(story|article|report|headline|content|copy|text|news)\b", re.IGNORECASE)


def is_syndication_note(line: Line) -> bool:
    """"(Except for the headline, this story has not been edited by NDTV staff and is published
    from a syndicated feed.)" in any outlet's words."""
    return bool(_SYNDICATION_CUE.search(line.norm)) and bool(_SYNDICATION_TOPIC.search(line.norm))


_READ_MORE = _full(
    # a bare link label
    r"(source( link)?|via|original (article|story|post)|read (the )?(full|original|whole|complete) "
    r"(story|article|report)( here| at .{1,60})?|read more( here| at .{1,60})?|read on|read also"
    r"|also read|continue reading( the main story| below| here)?|see more|see also|more|related"
    r"|full story|click here( to read more)?|more (stories|news|articles) from .{1,40}|more on this( story)?"
    r"|view (original|source)|source url"
    # section labels that open a block of teasers
    r"|related (posts|articles|stories|news|coverage|content|links|reading|topics)|you (may|might) also like"
    r"|(also|recommended|suggested) for you|recommended( stories| articles| reading)?|don'?t miss( this)?"
    r"|most (read|popular|viewed|shared)( .{1,30})?|popular (on|in) .{1,30}|trending( now| stories)?"
    r"|top stories|latest (news|stories|posts|articles)|editor'?s picks?|explore further|further reading"
    r"|in other news|more (news|stories|articles|videos)|more from .{1,40}|what to read next|up next"
    r"|tags?|filed under|categories|topics)"
    # taxonomy lines: "Tags: China, Russia", "Tagged china russia relations, NORAD"
    r"|(tags?|categories|category|topics|keywords)\s*:\s*.{1,200}|(tagged( with| in)?|filed under)\s*:?\s+.{1,200}"
    # a label followed by a teaser headline: "Read more: ...", "Related: ...", "Read More “...” »"
    r"|(leggi anche( su)?|lire aussi|à lire aussi|lesen sie auch|leia (também|mais)|lee también|ver también"
    r"|читайте также|см\. также)\s*[:|]?\s*.{0,200}"
    r"|(read more|read also|also read|see more|see also|related( articles?| stories| posts?| news| coverage"
    r"| content| reading| links?)?|more|also|watch|listen|recommended|don'?t miss|must read|trending"
    r"|top story|editor'?s picks?|more from .{1,40}|more on .{1,40})\s*[:|]\s*.{1,200}"
    r"|(read more|continue reading|read the rest)\s*[“\"«].{1,200}[”\"»]\s*(»|›|→)?"
    # "Also on rt.com ..." style cross-promotion
    r"|also on [\w-]+\.[a-z.]{2,10}\b.{0,200}"
)
# attribution labels: "SOURCE: Al Jazeera News", "Photo credit: ..." (agency detection saw them first)
_ATTRIBUTION = _full(r"(sources?|via|credits?|photo credit|image credit|image source|photo)\s*:\s*.{1,80}")


def is_keyword_list(line: Line) -> bool:
    """SEO keyword lines: six or more short comma-separated phrases and no sentence end
    ("drills 2024, joint drills, naval drills, sea drills, ...")."""
    items = line.raw.split(",")
    return (len(items) >= 6 and not _SENTENCE_END.search(line.raw)
            and all(0 < len(_words(item)) <= 4 for item in items))


def is_read_more(line: Line) -> bool:
    """"Source link", "Read more: ...", "Read More “Headline” »", "Continue reading", "Related: ...",
    keyword lists."""
    if _READ_MORE.fullmatch(line.norm) or is_keyword_list(line):
        return True
    return line.words <= 8 and bool(_ATTRIBUTION.fullmatch(line.norm))


_SOCIAL_WORDS = frozenset(
    "share shares sharing this article story post page on via tweet email e mail print facebook twitter x "
    "whatsapp linkedin reddit telegram pinterest tumblr vk vkontakte weibo wechat line messenger copy link "
    "save bookmark reprints reprint order permissions comment comments flipboard pocket sms more options "
    "gmail outlook it with friend friends".split()
)
_SHARE_PROMPT = _full(
    r"(share|like) this (story|article|post)\?.{0,60}|share (this|the) (story|article|post|page)( with .{1,30})?\W*"
    r"|(please )?share (it )?with (your )?friends?\W*|sharing is caring\W*|tell a friend\W*"
)


_TWEET_BOX = re.compile(r"click to tweet\W*$", re.IGNORECASE)


def is_share_prompt(line: Line) -> bool:
    """Share bars ("Share on Facebook", "Facebook Twitter WhatsApp Email"), share calls, and
    "click to tweet" boxes (a sentence of the article repeated with a tweet button)."""
    if all(word.group() in _SOCIAL_WORDS for word in _WORD.finditer(line.norm)) or _TWEET_BOX.search(line.raw):
        return True
    return bool(_SHARE_PROMPT.fullmatch(line.norm))


_CALL_TO_ACTION = _full(
    r"(sign up|signup|subscribe|click here|tap here|get (the|our) .{0,60}(newsletters?|app|inbox|alerts)"
    r"|download (the|our) .{0,40}app|follow (us|@?[\w.'’ -]{1,60}) on (twitter|facebook|instagram|x|telegram"
    r"|youtube|linkedin|tiktok|threads|bluesky)|join (us|our)|thanks for (signing up|subscribing"
    r"|reading|your (feedback|interest))|keep an eye on your inbox|there was an error processing"
    r"|support (our|independent|quality) (journalism|reporting)|become a (member|subscriber|patron)"
    r"|have a (news )?tip\?|send (us )?(your |a )?(news )?tips?|already a subscriber\?"
    r"|if you (enjoyed|liked|value) (this|our) (article|story|journalism|reporting)"
    r"|get (the latest|breaking) .{0,40}(delivered|in your inbox|straight to)"
    r"|we'?d like to hear (what you think|from you)|to continue reading|log ?in to continue"
    r"|get .{0,30} on the go|listen to (this|the) (article|story))(?!\w).{0,300}"
    # print subscription offers: "Get The Monthly delivered ... 12 issues for £11.99."
    r"|.{0,120}\b\d+ issues for\W{0,2}\d.{0,200}"
)
# UI error messages; short, so "An error occurred in the launch sequence, officials said" stays
_UI_ERROR = _full(
    r"(an error (has )?occurred|something went wrong|please try again( later)?)\W*.{0,60}"
    # "Oops"/"Sorry" only with what went wrong: "Sorry, the minister said, the talks are over." stays
    r"|(oops|sorry)\b.{0,40}\b(wrong|error|not (available|found|supported)|unavailable|can.?t be found"
    r"|could( not|n.?t) (load|find|be)|unable to|failed|try again|no longer)\b.{0,40}|(oops|sorry)\W*"
    r"|(audio|video) (is )?(not available|loading).{0,40}"
    # a widget that did not load: "This feature is temporarily unavailable. Please try again later."
    r"|(this|the) (feature|service|widget|tool|content|module) is (temporarily |currently )?"
    r"(unavailable|not available)\W*.{0,60}"
)
# an app promo that talks to the reader: "Now check your email ... to download your new app."
_APP_PROMO = GatedRegex(r"\b(download|install|get|open) (your|our) (new |free )?(mobile )?app\b", re.IGNORECASE,
                        plain=True)
# Subscription offers addressed to the reader: a subscription, membership or paid plan, a price offer or
# promo code, and the reader spoken to ("you", or an imperative first word). "The service raised its
# subscription price to $15 a month, the company said." names no reader and stays.
_SUBSCRIPTION_CUE = GatedRegex(
    r"\b(subscri\w*|membership|premium|paywall|(unlimited|full|digital|all) access|abonn\w*|abo|abonament\w*"
    r"|suscr\w*|assin\w*|подпис\w*)\b",
    re.IGNORECASE, plain=True)
_OFFER_CUE = re.compile(
    r"\bfor (as little as|just|only)\b|\b(promo|coupon|discount|voucher|offer) code\b|\b(use|enter|apply) (the )?code\b"
    r"|\bfree trial\b|\b\d+\s?% off\b|\b(per|a) (month|week|year)\b|\bfirst (month|year)\b"
    r"|\bpour seulement\b|\bà partir de\b|\bpor (solo|sólo|apenas)\b|\bnur\b.{0,12}(€|eur)"
    r"|\bвсего за\b|\bpromo\b", re.IGNORECASE)
_READER_CUE = re.compile(
    r"^\W*(get|subscribe|join|unlock|start|try|become|claim|save|enjoy|sign up|abonnez|profitez|suscríbete"
    r"|assine|aproveite|abonnieren|sichern|jetzt|подпишитесь|оформите)\b|\byour (first|free)\b", re.IGNORECASE)
_REPORTED = re.compile(r"\b(said|says|according to|told|reported|announced)\b", re.IGNORECASE)
_NEWSLETTER_CUE = GatedRegex(r"\bnewsletters?\b|\binbox\b", re.IGNORECASE, plain=True)
_SIGNUP_CUE = re.compile(r"\b(sign(ing)? up|subscrib\w*|delivered|register)\b", re.IGNORECASE)


def is_subscription_offer(line: Line) -> bool:
    """A subscription, membership or paid plan offered to the reader at a price or with a code:
    "Get unlimited access for as little as $2 a month. Use the code ...", "Abonnez-vous pour seulement 1 €".
    A sentence reporting prices ("... said", "according to") is an article's."""
    return (bool(_SUBSCRIPTION_CUE.search(line.norm)) and bool(_OFFER_CUE.search(line.norm))
            and bool(_READER_CUE.search(line.norm)) and not _REPORTED.search(line.norm))


def is_call_to_action(line: Line) -> bool:
    """Newsletter boxes, app promos, "Follow us on X", subscription errors, tip lines, subscription
    offers ("Get our premium plan for as little as $2 a month. Use the code ...")."""
    if _CALL_TO_ACTION.fullmatch(line.norm):
        return True
    if line.words <= 12 and _UI_ERROR.fullmatch(line.norm):
        return True
    if line.words <= 25 and _APP_PROMO.search(line.norm):
        return True
    if is_subscription_offer(line):
        return True
    return bool(_NEWSLETTER_CUE.search(line.norm)) and bool(_SIGNUP_CUE.search(line.norm))


# "Copyright disputes rose in 2023." is a sentence; a footer starts with the sign, or names a year or
# a (capitalised, hence matched on the raw line) holder right after the word.
_COPYRIGHT_START = re.compile(r"[\W_]*(©|\([cC]\)|(?i:copyright)\s*(©|\([cC]\))?\s*(\d{4}|[A-Z])).{0,300}")
_LEGAL_CUE = GatedRegex(
    r"all rights reserved|protected by intellectual property rights|intellectual property rights owned by"
    r"|without (the )?(prior )?(express )?written (consent|permission) of"
    r"|may not be (re)?published, broadcast|for your personal,? non-commercial use only"
    r"|governed by our subscriber agreement|\bcopyright\s+(©\s*)?(19|20)\d{2}\b"
    # a site's licence footer: "This website and all documents on it are licensed under a Creative Commons ..."
    r"|^(this|our) (web ?site|site|blog)\b.{0,60}\b(is|are) licensed under\b",
    re.IGNORECASE, plain=True,
)


def is_copyright_footer(line: Line) -> bool:
    """"All rights reserved. Copyright Agence France-Presse. ...", "© 2024 Reuters", reprint notices,
    "This material may not be published, broadcast, rewritten or redistributed."."""
    if line.words <= 40 and _COPYRIGHT_START.fullmatch(line.raw):
        return True
    return bool(_LEGAL_CUE.search(line.norm))


# a stray tag has a lower-case name (case-sensitive: "<The Palace: A Tale>" is a title in angle brackets)
_MARKUP_DEBRIS = re.compile(r"(\]\]>|(?i:<!\[cdata\[|\]\]&gt;|&[a-z]+;)|</?[a-z][a-z0-9-]*(\s[^>]{0,80})?/?>|\{\{[^}]*\}\}|\s)+")
_PLACEHOLDER = _full(
    r"(waiting for (the )?response to load|loading( comments| video| content| more)?|please wait"
    r"|javascript (is )?(required|disabled).{0,80}|(please )?enable javascript.{0,80}"
    r"|your browser does not support .{0,60}|this (video|content|embed) (is )?(not available|unavailable).{0,60}"
    r"|image:? .{0,3}|photo:? .{0,3}|video|play video|watch video|embed|click to expand|view (gallery|photos?))\W*"
)


# an unexpanded CMS shortcode: "[button link=...]Send us your story[/button]"
_SHORTCODE = _full(r"\[(\w+)\b[^\]]*\].{0,200}\[/\1\]")


def is_markup_debris(line: Line) -> bool:
    """"]]>", stray tags and entities, unexpanded shortcodes, "Waiting for response to load…", "Loading..."."""
    return (bool(_MARKUP_DEBRIS.fullmatch(line.raw)) or bool(_PLACEHOLDER.fullmatch(line.norm))
            or bool(_SHORTCODE.fullmatch(line.raw)))


_GALLERY = _full(
    r"\d+ (of|/) \d+|previous|prev|next|close|fullscreen|full screen|exit full ?screen|thumbnails"
    r"|(featured|recent|related|more) (slide ?shows|galleries|photo galleries)|start slide ?show"
    r"|replay( gallery| slide ?show)?|view all photos|(next|previous) (slide|photo|image)"
)


def is_gallery_control(line: Line) -> bool:
    """Buttons of a slideshow widget, one per line: "1 of 5", "Fullscreen", "Thumbnails", "Previous",
    "Featured Slide Shows"."""
    return bool(_GALLERY.fullmatch(line.norm))


_VERIFICATION = _full(
    r"(google|bing|yandex|msvalidate|baidu|facebook-domain|pinterest|norton|p:domain)[\w-]*"
    r"(-verification|_verify|verify)\b.{0,120}|google[0-9a-f]{8,}\.html"
)


def is_site_verification(line: Line) -> bool:
    """"google-site-verification: google037b30823fc02426.html"."""
    return bool(_VERIFICATION.fullmatch(line.norm))


# A URL alone counts as contact only when it names a site or a profile ("www.example.com",
# "https://x.com/handle"); a URL with a path to a document is a reference the article cites.
_CONTACT_TOKEN = (r"(\S+@\S+\.\w+|(https?://(www\.)?|www\.)[\w-]+(\.[\w-]+)+/?|(twitter|x|instagram|facebook)\.com/\S+"
                  r"|@\w{2,30})")
_CONTACT_ONLY = _full(_CONTACT_TOKEN + r"([\s,;|/]+" + _CONTACT_TOKEN + r")*")
_CONTACT_LINE = _full(
    r"(e-?mail|write to|contact|reach|follow|you can reach|tweet|(submit|send) (your )?comments?)\b.{0,120}"
    r"(\S+@\S+\.\w+|(?<!\w)@\w{2,30}|https?://\S+).{0,120}"
)


def is_contact_line(line: Line) -> bool:
    """Bare URLs, e-mail addresses, handles, and "Write to X at x@y.com" / "Follow her @handle"."""
    return bool(_CONTACT_ONLY.fullmatch(line.norm)) or bool(_CONTACT_LINE.fullmatch(line.norm))


_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_PAREN_TAG = re.compile(r"\([a-z][\w .-]{1,30}\)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
_STAMP_PREFIX = _full(
    r"(updated|last updated|published|first published|posted|posted on|last modified|modified|date"
    r"|created|issued|aktualisiert|veröffentlicht|publié le|mis à jour|publicado|atualizado|opublikowano"
    r"|обновлено|опубликовано)\b\s*:?\s*.{0,60}"
)
_READING_TIME = _full(
    r"(\d+\s*(-\s*)?(min(ute)?s?|mins?)\.?\s*(read|reading|de lectura|de leitura|lesezeit|чтения))"
    r"|((estimated )?reading time|read time|tempo de leitura|tiempo de lectura|temps de lecture|lesezeit"
    r"|время чтения)\s*:?\s*.{0,20}"
)


_MONTH_NAME = (r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
_DATE_ONLY = _full(rf"((\w+day),?\s+)?({_MONTH_NAME}\s+\d{{1,2}}(st|nd|rd|th)?,?\s+(19|20)\d{{2}}"
                   rf"|\d{{1,2}}\.?\s+{_MONTH_NAME},?\s+(19|20)\d{{2}}|(19|20)\d{{2}}-\d{{2}}-\d{{2}})")


def is_timestamp_line(line: Line) -> bool:
    """Lines that only carry a date or time: "Updated at 1:23 p.m.", "- Published 18 November 2019",
    "segunda-feira, 22 de janeiro de 2018 às 0:13", "By user 2024-08-20 13:52:30 0 2K",
    "Tempo de leitura: 1 minuto". Datelines with an agency tag and sentences ("Drills began at 10:30
    on July 14, 2024.") stay."""
    norm, size = line.norm, len(line.norm.split())
    if _PAREN_TAG.search(norm):  # "BEIJING, July 14, 2024 11:30 (Xinhua) --" is a dateline
        return False
    if size <= 8 and _CLOCK.search(norm) and _YEAR.search(norm) and not _SENTENCE_END.search(line.raw):
        return True
    if _STAMP_PREFIX.fullmatch(norm) and (_YEAR.search(norm) or _CLOCK.search(norm)):
        return True
    return bool(_READING_TIME.fullmatch(norm)) or bool(_DATE_ONLY.fullmatch(norm))


# (family, most words a line of it has, predicate). The word cap skips the regexes for article
# paragraphs, which are longer than any residue except the copyright footers.
RESIDUE_RULES: tuple[tuple[str, int, Callable[[Line], bool]], ...] = (
    ("ad_label", 8, is_ad_label),
    ("counter", 10, is_counter),
    ("rating_widget", 20, is_rating_widget),
    ("comment_form", 25, is_comment_form),
    ("syndication_note", 45, is_syndication_note),
    ("read_more", 45, is_read_more),
    ("share_prompt", 60, is_share_prompt),
    ("call_to_action", 60, is_call_to_action),
    ("copyright_footer", 120, is_copyright_footer),
    ("markup_debris", 40, is_markup_debris),
    ("gallery_control", 4, is_gallery_control),
    ("site_verification", 10, is_site_verification),
    ("contact_line", 40, is_contact_line),
    ("timestamp_line", 12, is_timestamp_line),
)


def residue_family(raw: str) -> str | None:
    """Name of the clutter family a line belongs to, or None for article text."""
    line = Line.of(raw)
    if not line.norm:  # only decoration left: "|", "»", "***"
        return "empty"
    return next((name for name, cap, rule in RESIDUE_RULES if line.words <= cap and rule(line)), None)


def is_residue_line(raw: str) -> bool:
    """True when the whole line is clutter of a known family."""
    return residue_family(raw) is not None


# --- block rules: a line's neighbours decide ----------------------------------------------------

_BULLET = "-•*· "


@functools.lru_cache(maxsize=_CACHE)
def is_headline_like(line: str) -> bool:
    """Short, unpunctuated line: a headline, a section label or a menu entry, not a sentence."""
    text = line.strip().lstrip(_BULLET).strip()
    return 0 < _nwords(text) <= 20 and not _SENTENCE_END.search(text) and not text.endswith((",", ";", ":"))


def is_link_line(line: str, link_texts: frozenset[str]) -> bool:
    """The whole line is the text of a link on the page, or it is a list item that starts with one
    (a teaser "headline + dek"). A paragraph that merely opens with a linked phrase is not."""
    norm = _norm(line.lstrip(_BULLET))
    if norm in link_texts:
        return True
    if not is_list_item(line):
        return False
    # the first i tokens joined by " " (i = 3 .. 24, fewer than all), cut from norm at its i-th space
    end = -1
    for i in range(1, min(norm.count(" ") + 1, 25)):
        end = norm.index(" ", end + 1)
        if i >= 3 and norm[:end] in link_texts:
            return True
    return False


def is_list_item(line: str) -> bool:
    """trafilatura renders <li> as "- item"."""
    return line.lstrip().startswith(("- ", "• "))


def _runs(flags: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of consecutive True flags."""
    start = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            yield start, i
            start = None


def drop_link_blocks(lines: list[str], link_texts: frozenset[str], min_links: int = 3) -> list[str]:
    """Related-news blocks ("Space News from SpaceDaily.com" + linked headlines, "DON'T MISS" +
    links): in runs of headline-like or linked lines holding at least ``min_links`` page links, the
    links go, and so do the labels right above them; an article's own list next to the block stays.
    Needs the page's link texts: without them nothing is dropped."""
    if not link_texts:
        return lines
    links = [is_link_line(line, link_texts) for line in lines]
    keep = [True] * len(lines)
    for start, end in _runs([link or is_headline_like(line) for link, line in zip(links, lines)]):
        if sum(links[start:end]) < min_links:
            continue
        for i in range(start, end):
            label = i + 1 < end and links[i + 1] and not is_list_item(lines[i])
            keep[i] = not (links[i] or label)
    return [line for line, kept in zip(lines, keep) if kept]


def is_card_headline(line: str, link_texts: frozenset[str], max_kicker: int = 4) -> bool:
    """A teaser card's headline: a headline-like line that is a link's text, or a short kicker
    followed by one ("Editorial Harbour dues must fall", the link being "Harbour dues must fall")."""
    if not is_headline_like(line):
        return False
    tokens = _norm(line.lstrip(_BULLET)).split(" ")
    return any(" ".join(tokens[i:]) in link_texts for i in range(0, min(max_kicker, len(tokens) - 3) + 1))


def drop_teaser_cards(lines: list[str], link_texts: frozenset[str], min_cards: int = 3,
                      max_dek_words: int = 60) -> list[str]:
    """Blocks of teaser cards ("Other Opinion Columns", then linked headline + one-paragraph dek, three
    times or more): every card headline is a page link (after an optional kicker) and is followed by at
    most one short paragraph before the next card. The cards go, and a label right above them. An
    article's paragraphs that follow a linked subheading in twos or more, or fewer than three cards, stay."""
    if not link_texts:
        return lines
    heads = [is_card_headline(line, link_texts) for line in lines]
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        if not heads[i]:
            i += 1
            continue
        start, cards, j = i, 0, i
        while j < len(lines) and heads[j]:
            cards += 1
            j += 1
            if j < len(lines) and not heads[j] and _word_count(lines[j]) <= max_dek_words:
                j += 1  # the card's dek
        if cards >= min_cards:
            for k in range(start, j):
                keep[k] = False
            if start > 0 and is_headline_like(lines[start - 1]) and _word_count(lines[start - 1]) <= 6:
                keep[start - 1] = False
        i = max(j, i + 1)
    return [line for line, kept in zip(lines, keep) if kept]


def _shouting(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 10 and all(c.isupper() for c in letters if c.isalpha() and c.lower() != c.upper())


def drop_inline_teasers(lines: list[str], story_links: frozenset[str], link_texts: frozenset[str] = frozenset(),
                        min_words: int = 4) -> list[str]:
    """A lone headline that is the whole text of a link to another page of the site, set between the
    article's sentences ("Senator quits after long debate" linking to another story) or on top of the text
    (a permalink headline); and a linked line in capitals anywhere ("SENATOR QUITS AFTER LONG DEBATE",
    "GET THE FREE GUIDE!"), whatever site it links to. A sentence that is a link, or a list of links, is
    left to the other rules."""
    if not story_links and not link_texts:
        return lines
    keep = []
    for i, line in enumerate(lines):
        norm = _norm(line)
        # pure tests, the set look-ups first
        teaser = (norm in story_links and _nwords(line) >= min_words and is_headline_like(line)
                  and not is_list_item(line)
                  and (i == 0 or bool(_SENTENCE_END.search(lines[i - 1])) or _nwords(lines[i - 1]) >= 15)
                  and (i + 1 == len(lines) or _norm(lines[i + 1]) not in story_links))
        shouted = (norm in link_texts and 3 <= _nwords(line) <= 20 and not is_list_item(line)
                   and _shouting(line))
        keep.append(not (teaser or shouted))
    return [line for line, kept in zip(lines, keep) if kept]


def is_stub(line: str, max_words: int = 5) -> bool:
    """A few words without sentence punctuation that are not an item of the article's own lists."""
    return _word_count(line) <= max_words and not _SENTENCE_END.search(line) and not is_list_item(line)


def drop_trailing_stubs(lines: list[str], max_lines: int = 3) -> list[str]:
    """Widget leftovers after the last sentence ("Îmi place 0 Comentează Distribuie", a lone
    "Tags"): up to ``max_lines`` trailing stubs."""
    end = len(lines)
    while end > 1 and len(lines) - end < max_lines and is_stub(lines[end - 1]):
        end -= 1
    return lines[:end]


_DATELINE_STUB = re.compile(r"[A-Z][\w.'’ -]{1,30}:")


def merge_dateline_stub(lines: list[str]) -> list[str]:
    """A dateline alone on the first line ("Moscow:") joins the paragraph it introduces."""
    if len(lines) > 1 and _DATELINE_STUB.fullmatch(lines[0]) and len(_words(lines[0])) <= 4 and not is_list_item(lines[1]):
        return [f"{lines[0]} {lines[1]}"] + lines[2:]
    return lines


_NUMBERED = re.compile(r"\d{1,3}[.)]\s")
_CODE_OR_TABLE = re.compile(r"[{}();=│|<>\\]")


def is_menu_entry(line: str, max_words: int = 4) -> bool:
    """A terse line that could be a menu entry: a few words, no sentence end, not an item of a numbered
    list ("1. Finland") and no code or table punctuation."""
    stripped = line.strip()
    return (0 < _word_count(stripped) <= max_words and not _SENTENCE_END.search(stripped)
            and not _NUMBERED.match(stripped) and not _CODE_OR_TABLE.search(stripped))


def drop_menu_runs(lines: list[str], min_run: int = 10, max_words: int = 4) -> list[str]:
    """Navigation menus leaked into the text: runs of ``min_run``+ consecutive menu-entry lines
    (``is_menu_entry``). Article lists are rarely that long and terse, and numbered ones are kept."""
    out: list[str] = []
    run: list[str] = []
    for line in lines + [""]:
        if line and is_menu_entry(line, max_words):
            run.append(line)
            continue
        out.extend(run if len(run) < min_run else [])
        run = []
        if line:
            out.append(line)
    return out


MAX_HEADLINE_WORDS = 30
_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+|\s+::\s+")


def _title_variants(titles: Iterable[str | None]) -> set[str]:
    """Normalised titles plus their parts around site-name separators ("Title | Site"). A "title" of
    more than ``MAX_HEADLINE_WORDS`` words is a paragraph some template put in a title field (a photo
    caption as twitter:title), not a headline: it may be the article's first paragraph, which stays."""
    variants: set[str] = set()
    for title in titles:
        if not title or len(_words(title)) > MAX_HEADLINE_WORDS:
            continue
        variants.add(normalise_line(title))
        for part in re.split(_TITLE_SEPARATOR, title):
            if len(_words(part)) >= 3:
                variants.add(normalise_line(part))
        # a headline with a dash of its own ("Reviews Are Here — And Not Great - Site"): the title
        # with everything after one separator cut off, or everything before it
        for separator in _TITLE_SEPARATOR.finditer(title):
            for part in (title[: separator.start()], title[separator.end():]):
                if len(_words(part)) >= 3:
                    variants.add(normalise_line(part))
    return {v for v in variants if v}


def drop_title_lines(lines: list[str], titles: Iterable[str | None], window: int = 3) -> list[str]:
    """The headline repeated as the first line(s): it is stored in ``Article.title`` already."""
    variants = _title_variants(titles)
    if not variants:
        return lines
    head = [line for line in lines[:window] if _norm(line) not in variants]
    return head + lines[window:]


def is_byline(line: str, authors: Iterable[str], max_extra: int = 3) -> bool:
    """A short line holding every word of an author's name and little else: "Richard (R.J.) Eskow"
    for "Richard Eskow", "By Anna Petrova"."""
    if not is_headline_like(line):
        return False
    words = [word.casefold() for word in _words(line)]
    for author in authors:
        name = [word.casefold() for word in _words(author)]
        if len(name) >= 2 and len(words) <= len(name) + max_extra and all(word in words for word in name):
            return True
    return False


def drop_top_bylines(lines: list[str], authors: Iterable[str], window: int = 3) -> list[str]:
    """The author's name alone on one of the first lines (a linked byline under the headline or dek):
    the author is stored in ``Article.author`` already."""
    authors = [author for author in authors if author]
    if not authors:
        return lines
    return [line for line in lines[:window] if not is_byline(line, authors)] + lines[window:]


# --- the whole pass ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanContext:
    """What the cleaner knows about the page besides its text."""

    titles: tuple[str, ...] = ()  # headline candidates (meta title, og:title, h1)
    residue: tuple[re.Pattern[str], ...] = ()  # per-outlet extra patterns, searched per line
    link_texts: frozenset[str] = frozenset()  # normalised texts of the page's links
    code_lines: frozenset[str] = frozenset()  # stripped lines of the page's <pre> blocks: never clutter
    story_links: frozenset[str] = frozenset()  # normalised texts of links to the site's other pages
    authors: tuple[str, ...] = ()  # the page's author names (metadata), to drop a byline line on top


def _clean_lines(lines: list[str], context: CleanContext, first: bool, last: bool) -> list[str]:
    """Line and block rules over a stretch of text between code blocks."""
    lines = [line for line in lines if not is_residue_line(line) and not any(p.search(line) for p in context.residue)]
    if first:
        lines = drop_title_lines(lines, context.titles)
        lines = drop_top_bylines(lines, context.authors)
    lines = drop_link_blocks(lines, context.link_texts)
    lines = drop_teaser_cards(lines, context.link_texts)
    lines = drop_inline_teasers(lines, context.story_links, context.link_texts)
    lines = drop_menu_runs(lines)
    if last:
        lines = drop_trailing_stubs(lines)
    if first:
        lines = merge_dateline_stub(lines)
    return lines


def clean_text(text: str, context: CleanContext | None = None) -> str:
    """Drop residue lines from an extracted text; returns one paragraph per line ("\\n").
    Lines of the page's code blocks (program text, console tables, markup samples) are kept as they
    are, and split the text into stretches that the block rules see apart."""
    context = context or CleanContext()
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    stretches: list[tuple[bool, list[str]]] = []  # (is code, lines)
    for line in lines:
        code = line in context.code_lines
        if stretches and stretches[-1][0] == code:
            stretches[-1][1].append(line)
        else:
            stretches.append((code, [line]))
    prose = [i for i, (code, _) in enumerate(stretches) if not code]
    out: list[str] = []
    for i, (code, stretch) in enumerate(stretches):
        out.extend(stretch if code else _clean_lines(stretch, context, i == prose[0], i == prose[-1]))
    return "\n".join(out)
