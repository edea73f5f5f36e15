"""Residue rules: each clutter family goes, in several phrasings; article sentences that look alike stay."""
from __future__ import annotations

import re

import pytest

from crawler.text.clean import CleanContext, clean_text, residue_family

CLUTTER = {
    "ad_label": ["ADVERTISEMENT", "Advertisement", "- Advertisement -", "Sponsor", "Sponsored content",
                 "Story continues below advertisement"],
    "counter": ["0", "3K", "0 3K", "1.2M", "12 comments", "Shares: 4"],
    "rating_widget": ["0.00 avg. rating (0% score) - 0 votes", "4.50 avg. rating (89% score) - 12 votes",
                      "Rate this article:", "No votes so far! Be the first to rate this post."],
    "comment_form": ["Leave a Reply", "Leave a Reply Cancel reply", "Leave a comment",
                     "Your email address will not be published. Required fields are marked *",
                     "Required fields are marked *", "Name *", "Post Comment", "Comments are closed.",
                     "Save my name, email, and website in this browser for the next time I comment.",
                     "NOTE: Comments that insult other readers or stray off topic will not be approved.",
                     "Atenção: comentários ofensivos não serão aprovados pelo moderador."],
    "syndication_note": [
        "(Except for the headline, this story has not been edited by NDTV staff and is published from a syndicated feed.)",
        "This story has not been edited by Business Standard staff and is auto-generated from a syndicated feed.",
        "(This story has not been edited by Devdiscourse staff and is auto-generated from a syndicated feed.)",
        "Disclaimer: This story is auto-aggregated by a computer program and has not been created or edited by Outlook staff.",
        "This story is published from a wire agency feed without modifications to the text. Only the headline has been changed.",
        # spun copies swap in look-alike letters: a dotless ı still reads as i to the patterns
        "(Except for the headlıne, thıs story has not been edıted by Outlet staff.)",
    ],
    "read_more": ["Source link", "Source", "Read More “Russian And Chinese Bombers Patrol Near Alaska” »",
                  "Read more: Alibaba poised to launch record-breaking listing", "READ MORE: China plague outbreak confirmed",
                  "Related: The 15 Weirdest Galaxies in Our Universe", "[Related: Salesforce Dreamforce Keynote]",
                  "Continue reading", "Continue reading the main story", "You may also like...", "DON'T MISS",
                  "Most read in world news", "Related Posts", "Also on rt.com Journalists threatened with arrest",
                  "SOURCE: Al Jazeera News", "Tags: China, Russia, Vostok", "Tagged china russia relations, NORAD",
                  "(Leggi anche: Le navi cinesi tornano nel Baltico)", "Lire aussi : Les manœuvres russes en Arctique",
                  "Читайте также: Учения в Японском море",
                  "naval drills 2024, joint sea, china russia drills, sea of japan, vostok, pacific patrol"],
    "share_prompt": ["Share this:", "Share on Facebook", "Facebook Twitter WhatsApp Email", "Print",
                     "Like this story? Share it with a friend!",
                     "Joint drills are a message to Washington as much as to Tokyo.Click To Tweet"],
    "call_to_action": ["Sign up for our daily newsletter", "Subscribe Free To Our Daily Newsletters",
                       "Click here to subscribe to The Paradigm Newsletter",
                       "Get the latest updates right in your inbox. Subscribe to NJ.com’s newsletters.",
                       "Follow us on Telegram", "Follow The New York Times Opinion section on Facebook and Twitter.",
                       "Thanks for signing up!",
                       "Get Harbour Weekly delivered to your door every week. 12 issues for £9.99. Click here to order.",
                       "Follow @DrillDesk on Twitter to keep up with the latest exercise news from around the world.", "There was an error processing your subscription.",
                       "An error has occurred, please try again later.",
                       # subscription offers at a price or with a code, in several languages
                       "Get unlimited access to The Harbour Ledger for as little as $2 a month. Use the code "
                       "HARBOUR at checkout. The Ledger brings you analysis and research on the ports you trade with.",
                       "Start your free trial of the Harbour Ledger premium plan today.",
                       "Abonnez-vous à La Gazette du Port pour seulement 1 € le premier mois.",
                       "Suscríbete a El Diario del Puerto por solo 1 euro al mes.",
                       "Jetzt das Hafenblatt-Abo sichern: nur 1 € im ersten Monat.",
                       # a widget that did not load, an app promo
                       "This feature is temporarily unavailable. Please try again later.",
                       "Now check your email account on your phone to download your new app.",
                       "Oops! That page can’t be found.", "Sorry, we could not load the comments.", "Sorry!"],
    "copyright_footer": [
        "All rights reserved. Copyright Agence France-Presse. Sections of the information displayed on this page "
        "(dispatches, photographs, logos) are protected by intellectual property rights owned by Agence "
        "France-Presse. As a consequence, you may not copy, reproduce, modify, transmit, publish, display or in "
        "any way commercially exploit any of the content of this section without the prior written consent of "
        "Agence France-Presse.",
        "© 2024 Reuters", "Copyright 2024 The Associated Press. All rights reserved.",
        "This material may not be published, broadcast, rewritten or redistributed.",
        "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved",
        "This copy is for your personal, non-commercial use only.",
        "Thıs copy ıs for your personal, non-commercıal use only.",
        "This website and all documents on it are licensed under a Creative Commons Attribution 4.0 License.",
    ],
    "markup_debris": ['[button link="https://outlet.example/send-tip/" type="big"] Send us your story[/button]', "]]>", "<![CDATA[", "Waiting for response to load…", "Loading...", "Please enable JavaScript to view the comments.",
                      '<div class="ad-slot">', "</p>"],
    "gallery_control": ["- 1 of 5", "Fullscreen", "- Thumbnails", "- Previous", "Next", "Featured Slide Shows"],
    "site_verification": ["google-site-verification: google037b30823fc02426.html", "yandex-verification: 4f1c2d"],
    "contact_line": ["paul.takahashi@chron.com", "twitter.com/paultakahashi", "Write to Al Root at allen.root@dowjones.com",
                     "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik.", "https://www.example-outlet.com/",
                     "Submit comments on this post to <editor@harbour.example>."],
    "timestamp_line": ["Updated at 1:23 p.m. 2019", "UPDATED: Tue., Nov. 19, 2019", "- Published 18 November 2019",
                       "By lsturfaustint 2024-08-20 13:52:30 0 2K", "segunda-feira, 22 de janeiro de 2018 às 0:13",
                       "Tempo de leitura: 1 minuto", "5 min read", "August 22, 2013", "Tuesday, 14 July 2024"],
}


@pytest.mark.parametrize(
    "family, line", [(family, line) for family, lines in CLUTTER.items() for line in lines]
)
def test_clutter_line_is_recognised(family, line):
    assert residue_family(line) is not None, f"{line!r} should be {family}"


# Sentences an article may contain that share words with the clutter families.
ARTICLE_SENTENCES = [
    "The advertisement campaign by the defence ministry ran for three weeks.",
    "Copyright disputes between the two countries rose in 2023.",
    "An error occurred in the launch sequence, officials said, and the test was postponed.",
    "The transcript has not been edited by the ministry, the report said.",
    "The images were auto-generated by AI, the report said.",
    "Follow-up talks on Twitter's role in the crisis are planned for May.",
    "Drills began at 10:30 on July 14, 2024.",
    "Topics discussed included trade and security.",
    "More than 50,000 troops and 5,000 weapons units will take part.",
    "Moscow, Oct 14 (AFP) Oct 14, 2024",
    "ZHANJIANG, July 14 (Xinhua) -- The Joint Sea-2024 exercise opened on Sunday.",
    "Sponsors of the resolution included China and Russia.",
    "Readers can share their views with the ministry by email.",
    "China has long been accused of violating intellectual property rights.",
    "Related talks will continue in Beijing next month, the ministry said.",
    "Strategic signal",
    "The ships, the aircraft, the crews, the radars, the missiles and the tankers all took part.",
    "The minister said comments by Tokyo were not helpful to the talks.",
    # a title in angle brackets (Korean and Chinese texts mark titles so) is not a stray tag
    "<The Palace: Tale of a Court Dancer>",
    # a cited document is a reference, not a contact line
    "https://www.mod.example/documents/2024/joint-sea-communique.pdf",
    # prices and subscriptions reported, not offered to the reader
    "The streaming service raised its subscription price to $15 a month, the company said.",
    "Subscribers pay $10 a month for the premium tier, which launched in May.",
    "If you have a premium subscription, the ministry said, you pay 10 dollars a month.",
    "Officials urged residents to download the app before the storm.",
    "The service is temporarily unavailable in the occupied districts, the operator said on Monday.",
    "The photographs are licensed under a Creative Commons licence, the museum said.",
    # "Sorry"/"Oops" open sentences too; only with what went wrong are they a widget's message
    "Sorry, the minister said, the talks are over.",
    "Oops! The second frigate had already sailed, the captain wrote.",
]


@pytest.mark.parametrize("sentence", ARTICLE_SENTENCES)
def test_article_sentence_is_not_residue(sentence):
    assert residue_family(sentence) is None


def test_clean_text_keeps_every_article_line_and_their_order():
    text = "\n".join(["ADVERTISEMENT", *ARTICLE_SENTENCES[:6], "Source link", "]]>", "0"])
    assert clean_text(text).splitlines() == ARTICLE_SENTENCES[:6]


def test_headline_repeated_on_top_is_dropped_but_not_further_down():
    title = "China, Belarus Hold Army Drills Near NATO Border Amid Rising Tensions"
    lines = [title, "Warsaw:", "China is staging army drills with Belarus this week.", "Analysts agree.",
             "The fourth paragraph repeats it.", title]
    cleaned = clean_text("\n".join(lines), CleanContext(titles=(f"{title} | Artifex.News",)))
    assert cleaned.splitlines()[0] == "Warsaw: China is staging army drills with Belarus this week."
    assert cleaned.splitlines()[-1] == title


def test_a_caption_in_a_title_field_is_not_a_headline_and_the_first_paragraph_stays():
    caption = ("In this photo taken on Monday, the frigate Admiral Kasatonov leaves the port of Baltiysk for joint "
               "drills in the Baltic Sea, which the fleet said would last until Friday. (Fleet press service via AP)")
    story = [caption, "BALTIYSK (AP) - Russian and Chinese warships began joint drills in the Baltic on Monday."]
    context = CleanContext(titles=("Warships begin Baltic drills", caption))
    assert clean_text("\n".join(story), context).splitlines() == story
    # a headline of ordinary length on top still goes
    assert clean_text("\n".join(["Warships begin Baltic drills", *story]), context).splitlines() == story


def test_a_headline_with_a_dash_of_its_own_is_dropped_on_top_though_the_title_adds_the_site():
    headline = "Navy Drills Near Taiwan Are Over — And Analysts Are Not Reassured"
    story = ["The ships returned to port on Friday, the fleet said.", "Crews were given two days' leave."]
    context = CleanContext(titles=(f"{headline} - Fleet Daily", "Fleet Daily"))
    assert clean_text("\n".join([headline, *story]), context).splitlines() == story


def test_the_author_alone_on_a_line_under_the_dek_is_a_byline():
    dek = "Two navies end a week of drills. What the patrols were for is less clear"
    story = [dek, "Anna (A.M.) Petrova", "The ships returned to port on Friday, the fleet said.",
             "Anna Petrova, who sailed with them, counted forty aircraft."]
    cleaned = clean_text("\n".join(story), CleanContext(authors=("Anna Petrova",)))
    assert cleaned.splitlines() == [story[0], *story[2:]]
    # no author known, or a sentence naming the author: kept
    assert clean_text("\n".join(story), CleanContext()).splitlines() == story


def test_related_news_block_of_page_links_is_dropped():
    links = ["Maven stays silent after routine pass behind Mars",
             "ICE-CSIC leads a pioneering study on the feasibility of asteroid mining",
             "NASA JPL Unveils Rover Operations Center for Moon, Mars Missions"]
    story = ["Russia's defence minister has arrived in Beijing for talks.", "Last month, warships carried out drills."]
    text = "\n".join([*story, "Space News from SpaceDaily.com", *links])
    context = CleanContext(link_texts=frozenset(link.casefold() for link in links))
    assert clean_text(text, context).splitlines() == story


def test_a_list_of_the_article_is_kept_without_page_links():
    items = ["- Destroyer Admiral Tributs", "- Frigate Sovershenny", "- Corvette Gromky", "- Tanker Pechenga"]
    text = "\n".join(["Four Russian ships take part in the exercise:", *items, "The drills end on Friday."])
    assert clean_text(text, CleanContext(link_texts=frozenset({"some other headline"}))) == text


def test_long_navigation_menu_is_dropped():
    menu = ["Home", "World", "India", "Business", "Sports", "Entertainment", "Technology", "Opinion",
            "Videos", "Photos", "Contact us"]
    story = ["Russian and Chinese bombers flew a joint patrol near Alaska, Moscow said on Thursday."]
    assert clean_text("\n".join(menu + story)).splitlines() == story


def test_social_action_stubs_after_the_last_sentence_are_dropped():
    story = ["Putin met Zhang Youxia in the Kremlin.", "He invited Zhang to discuss further steps."]
    assert clean_text("\n".join([*story, "Îmi place 0 Comentează Distribuie"])).splitlines() == story


def test_lone_dateline_joins_its_paragraph():
    cleaned = clean_text("Moscow:\nRussian and Chinese bombers flew a joint patrol.\nIt said more.")
    assert cleaned.splitlines() == ["Moscow: Russian and Chinese bombers flew a joint patrol.", "It said more."]


def test_outlet_residue_patterns_drop_matching_lines():
    context = CleanContext(residue=(re.compile(r"^KremlinWire is a registered mass medium", re.I),))
    text = "The ministry said the patrol lasted five hours.\nKremlinWire is a registered mass medium No. 123."
    assert clean_text(text, context) == "The ministry said the patrol lasted five hours."


def test_code_block_lines_are_kept_as_they_are():
    code = ["SELECT n, n > 3 AS is_anomaly", " n │ is_anomaly", "───┼───────────", " 2 │ f", "12 │ t", "});",
            "<html>", "4.3333", "Comment"]
    story = ["The query flags values above the threshold.", *code, "That is all it takes."]
    cleaned = clean_text("\n".join(story), CleanContext(code_lines=frozenset(line.strip() for line in code)))
    assert cleaned.splitlines() == [line.strip() for line in story]


def test_a_long_numbered_list_of_the_article_is_not_a_menu():
    items = [f"{n}. {country}" for n, country in enumerate(
        ["Finland", "Norway", "Estonia", "Canada", "Germany", "France", "Japan", "Italy", "Spain", "Chile"], 1)]
    text = "\n".join(["The ranking, best first:", *items, "The survey covered 40 countries."])
    assert clean_text(text) == text


def test_lone_linked_headline_between_paragraphs_is_dropped_but_a_linked_sentence_stays():
    teaser = "Navy Chief Replaced After Pacific Drill Mishap"
    linked_sentence = "The ministry published the full exercise schedule."
    story = ["The exercise began on Monday with forty ships, the ministry said.", teaser,
             "Aircraft from both navies flew joint patrols over the sea.", linked_sentence, "It ends on Friday."]
    context = CleanContext(story_links=frozenset({teaser.casefold(), linked_sentence.casefold().rstrip(".")}))
    assert clean_text("\n".join(story), context).splitlines() == [line for line in story if line != teaser]
    # the same line linking to another site (a product, a source) is the article's own
    assert clean_text("\n".join(story), CleanContext(link_texts=frozenset({teaser.casefold()}))) == "\n".join(story)


def test_short_lines_of_a_language_written_without_spaces_are_not_a_menu():
    lines = [f"第{n}天，两国海军舰艇编队在日本海完成联合巡航任务" for n in range(1, 13)]
    assert clean_text("\n".join(lines)).splitlines() == lines


def test_a_linked_line_in_capitals_is_a_teaser_wherever_it_links():
    shout = "ADMIRAL SAYS PACIFIC PATROLS WILL GO ON"
    story = ["The ships returned to port on Friday, the fleet said.", shout, "Crews were given two days' leave."]
    context = CleanContext(link_texts=frozenset({shout.casefold()}))
    assert clean_text("\n".join(story), context).splitlines() == [story[0], story[2]]
    # not a link: a heading in capitals of the article itself stays
    assert clean_text("\n".join(story), CleanContext()).splitlines() == story


def test_a_block_of_teaser_cards_with_a_dek_each_goes_and_the_article_stays():
    # kicker + linked headline, then one paragraph of dek, three times, under a label
    story = ["The harbour board approved the new dues on Tuesday after a long debate.",
             "Shipping firms said the rise would be passed on to customers within weeks."]
    cards = ["More Harbour Columns",
             "Editorial Harbour dues must fall again",
             "THE board has missed its chance to make the port cheaper for everyone who uses it.",
             "Tides of change Fishermen deserve a better deal",
             "ANNA PETROVA The fleet has shrunk by half in ten years, and nobody seems to care.",
             "Night shift Cranes that never sleep at the container terminal",
             "TOM REED Why the busiest crane drivers in the country want a four-day week."]
    links = frozenset({"harbour dues must fall again", "fishermen deserve a better deal",
                       "cranes that never sleep at the container terminal"})
    assert clean_text("\n".join(story + cards), CleanContext(link_texts=links)).splitlines() == story


def test_linked_subheadings_followed_by_paragraphs_of_their_own_stay():
    # an explainer whose subheadings link to earlier stories: two paragraphs under each, not cards
    lines = ["Three ports changed their dues this year.",
             "Port of Lerwick raises dues", "Lerwick raised its dues by a tenth in March.", "Ferries were exempt.",
             "Port of Oban cuts fees", "Oban cut its fees for small boats.", "Larger ships pay more.",
             "Port of Wick holds prices", "Wick kept its prices for a third year.", "The board meets in June."]
    links = frozenset({"port of lerwick raises dues", "port of oban cuts fees", "port of wick holds prices"})
    assert clean_text("\n".join(lines), CleanContext(link_texts=links)).splitlines() == lines
