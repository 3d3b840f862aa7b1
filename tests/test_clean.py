"""The cleaner on the five real seed articles (the spec), on near misses, and on its rules.

For each seed article: every body sentence must survive, no page boilerplate may, and the
metadata the page text carries (headline, byline, date, outlet) must be found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsrag.index.clean import clean_document, clean_text, is_prompt
from newsrag.index.documents import Document
from newsrag.index.metadata import headline_from_url

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "seed-articles"

# Every sentence of each article's body, as it appears in the page (photo captions excluded:
# they may stay or go).
BODY_SENTENCES = {
    "000_efc5912cef78bf52.txt": [
        "WASHINGTON (AP) — The White House voiced concern Tuesday that Iran may provide Russia with ballistic missiles for use in its war against Ukraine, a development that likely would be disastrous for the Ukrainian people, a U.S. national security official said.",
        "National Security Council spokesperson John Kirby noted that Iran already has been providing Russia with unmanned aerial vehicles or drones, guided aerial bombs and artillery ammunition, and may be preparing “to go a step further in its support for Russia.”",
        "Kirby highlighted a September meeting in which Iran hosted Russian Defense Minister Sergei Shoigu to show off a range of ballistic missile systems, sparking U.S. concern.",
        "“We are therefore concerned that Iran is considering providing Russia with ballistic missiles now for use in Ukraine,” Kirby told reporters during a conference call.",
        "“In return for that support, Russia has been offering Tehran unprecedented defense cooperation, including on missiles, electronics and air defense.”",
        "Kirby’s warning came as President Joe Biden’s request for more than $61 billion in emergency U.S. funding to continue to support Ukraine’s defense remained stalled in Congress.",
        "The additional aid for Ukraine is part of a larger $106 billion funding request from the Democratic president that also would support Israel, Taiwan and the U.S. operations on the border with Mexico.",
        "A growing group of lawmakers in the Republican Party, which controls the House of Representatives, opposes sending more money to Ukraine.",
        "Kirby and other top U.S. officials have been urging Congress to pass aid for Ukraine, saying existing funding is drying up.",
        "He also noted Iran’s announcement earlier this year that it had finalized a deal to buy Su-35 fighter jets from Russia, and said Iran is looking to buy additional military equipment from Russia, including attack helicopters, radars and combat-trainer aircraft.",
        "“In total, Iran is seeking billions of dollars worth of military equipment from Russia to strengthen its military capabilities,” Kirby said.",
        "“Russia has also been helping Iran develop and maintain its satellite collection capabilities and other space-based programs.”",
        "He said the burgeoning military partnership between Iran and Russia is harmful to Ukraine, Iran’s neighbors in the Middle East and “quite frankly to the international community.”",
        "At the direction of the Russian government, Kirby said the Wagner mercenary group was preparing to provide an air-defense capability to either Hezbollah or Iran.",
        "He said the U.S. would be watching to see whether that happens and was prepared to use “counterterrorism sanctions authority against Russian individuals or entities that might make these destabilizing transfers.”",
        "Russia has used Wagner in the past when it has wanted to be able to deny involvement, especially in foreign military operations.",
        "The U.S. says the Kremlin’s reliance on Iran, as well as North Korea — countries largely isolated on the international stage for their nuclear programs and human rights records — shows desperation.",
        "That comes in the face of Ukrainian resistance and the success of the global coalition in disrupting Russian military supply chains and denying replacements for weapons lost on the battlefield.",
        "The White House has said Russia has turned to North Korea for artillery.",
        "U.S. officials say Iran has also provided Russia with artillery and tank rounds for its invasion of Ukraine.",
        "The U.S. and other countries have taken steps to thwart the potential supply, sale or transfer involving Iran and ballistic missile-related items, Kirby said.",
        "The U.S. has also issued guidance to private companies about Iranian missile procurement practices to make sure they aren’t inadvertently supporting Iran’s development efforts.",
        "Last May, the White House said Russia was interested in buying additional advanced attack drones from Iran for use in the war against Ukraine after it used up most of the 400 drones it had previously purchased from Tehran.",
        "A U.S. intelligence finding released in June asserted that Iran was providing Russia with materials to build a drone manufacturing plant east of Moscow as the Kremlin looks to lock in a steady supply of weaponry for the war.",
    ],
    "001_3303a44a3e524015.txt": [
        "Russia is working with Iran and North Korea to increase its military capabilities and improve performance in its attempted conquest of Ukraine.",
        "Iran’s theocratic regime has been supplying Russia with suicide drones and munitions for tanks and artillery since last year, according to White House National Security Council Coordinator for Strategic Communications John Kirby.",
        "“In part because of all these sweeping sanctions and export controls that we’ve imposed… Russia has had to rely on pariah states like North Korea and Iran to be able to continue prosecuting this war,” Kirby said during a Feb. 24 call with reporters.",
        "“Iran’s support for Russia’s war is expanding.”",
        "Kirby said that, in addition to the drones and munitions previously sent to Russia, the two authoritarian powers were now seeking to exchange more high-tech capabilities.",
        "Iran is seeking to provide Russia with more drones, artillery, and new missiles in exchange for advanced electronics, air defense systems, and possibly attack helicopters and fighter jets, Kirby said.",
        "“Iran is seeking billions of dollars in military equipment from Russia,” Kirby added.",
        "The revelation of Russia’s increasing ties with authoritarian powers throughout the world comes just hours after the White House announced sanctions and export controls valued at $2.8 billion.",
        "The move, according to a White House fact sheet, is intended to cripple Russia’s ability to conduct its attempted conquest of Ukraine, and targets entities in Russia, Iran, and China.",
        "Relatedly, the United States warned earlier in the week that China’s communist regime was considering providing lethal aid to Russia’s military, though Kirby said that U.S. intelligence had not discovered evidence that such aid was yet rendered.",
        "“While we have indications that China may be considering the provision of lethal capabilities to Russia, we haven’t seen them move in that direction,” Kirby said.",
        "“We’ve been clear both privately and publicly with respect to that potential outcome… China should not want to become tangibly involved in that manner.”",
        "Despite the Biden administration’s claim that China has not provided such aid, however, a recent report suggests that the regime has concealed military shipments to Russia, disguising them as civilian components.",
        "The report, published Feb. 23 by Der Spiegel, claims that China disguised military aviation equipment sent to Russia as civil in nature, and also used intermediaries in the UAE to illicitly ship dual-use drones to Russia for use in Ukraine.",
        "When asked whether the White House believed that Putin must be removed from power to end the war in Ukraine, Kirby underscored that the United States only sought to help Ukraine maintain its self-defense.",
        "“This is not about regime change,” Kirby said.",
        "“We’re doing this to support Ukraine so they can preserve their independence and sovereignty and try to claw back their territory.”",
        "“Victory is going to be decided by President Zelenskyy. Quite frankly, we believe that Putin has already lost.”",
    ],
    "002_13bc6e04ac9e9a50.txt": [
        "The Kremlin spokesman did not deny reports of Iran's possible transfer of ballistic missiles to Russia.",
        "The United States warned its allies of the possible delivery.",
        "Kremlin spokesman Dmitry Peskov did not directly deny the veracity of reports about Iran's possible transfer of short-range ballistic missiles to Russia, the Russian service of Radio Liberty reports, UNN writes.",
        'Peskov reportedly said during a briefing on Monday that Moscow and Tehran are developing cooperation "in all possible areas, including the most sensitive areas" and "will continue to do so.',
        'Speaking about reports of missile deliveries, he noted that "not every time such information is true.',
        "Last week, The Wall Street Journal and CNN reported that Iran had already transferred missiles to Russia for possible use in a war against Ukraine, citing sources.",
        "Iran officially denies this, of course.",
        'A senior commander of the Islamic Revolutionary Guard Corps, Fazlullah Nozari, told Iranian media on Monday that Western reports and missile transfers are part of a "psychological warfare.',
        "The United States has informed its allies that Iran, according to Washington, has transferred short-range ballistic missiles to Russia for further military operations in Ukraine, the Associated Press reported on Sunday.",
        "The agency's interlocutors, who spoke on condition of anonymity, did not provide any details on how many weapons were delivered or when the transfer might have taken place.",
        "At the same time, the White House has not yet officially confirmed that Iran has indeed transferred missiles to Russia.",
        'The US National Security Council said that if the reports are confirmed, it would mean a "significant escalation.',
        'Ukraine\'s Foreign Ministry expressed deep concern over the media reports and said that if confirmed, the information would have "devastating consequences" for Ukrainian-Iranian relations.',
        "Iran has previously supplied hundreds of drones to Russian customers that were used by Moscow in the war against Ukraine.",
        "At the same time, Tehran denied that it had made the deliveries after the start of Russia's large-scale invasion of Ukraine.",
        "Iran insists that it is neutral in the conflict.",
    ],
    "003_4bfa6219a026e7f3.txt": [
        "WASHINGTON (AP) — The White House on Thursday said U.S. intelligence officials have determined that Russian Defense Minister Sergei Shoigu spoke last week to North Korean officials during a visit to Pyongyang about increasing the sale of munitions to Moscow for its war in Ukraine.",
        "Shoigu made the pitch during his visit to North Korea for events marking the 70th anniversary of the armistice that halted fighting in the 1950-53 Korean War, according to White House National Security Council spokesman John Kirby.",
        "Russian President Vladimir Putin dispatched Shoigu to lead the Russian delegation for the commemoration.",
        "The Biden administration says Shoigu’s pitch to tighten cooperation with North Korea underscored that the Kremlin has become reliant on the country, as well as Iran, for the arms it needs to fight its war against Ukraine.",
        "North Korea and Iran are largely isolated on the international stage for their nuclear programs and human rights records.",
        "“This is yet another example of how desperate Mr. Putin has become because his war machine is being affected by the sanctions and the export controls,” Kirby said.",
        "“He is going through a vast amount of inventory to try to subjugate Ukraine, and he’s reaching out to countries like North Korea, like Iran, and certainly he’s been trying to reach out to China to get support for his war machine.”",
        "In March, the White House said it had gathered intelligence that showed that Russia was looking to broker a food-for-arms deal with North Korea, in which Moscow would provide the North with needed food and other commodities in return for munitions from Pyongyang,",
        "Late last year, the White House said it had determined that the Wagner Group, a private Russian military company, had taken delivery of an arms shipment from North Korea to help bolster its forces fighting in Ukraine on behalf of Russia.",
        "Both North Korea and Russia have previously denied the U.S. allegations about weapons.",
        "North Korea, however, has sided with Russia over the war in Ukraine, insisting that the “hegemonic policy” of the U.S.-led West has forced Moscow to take military action to protect its security interests.",
        "The Biden administration says the Kremlin’s reliance on North Korea and Iran shows Russia’s desperation.",
        "The White House says Iran has been a crucial supplier of attack drones for Russia as the war in Ukraine grinds on and Moscow has had to maneuver around sanctions that keep it from obtaining sophisticated parts to build and sustain its weapons supply.",
        "The United States long has been concerned that China may provide weapons to Russia.",
        "Secretary of State Antony Blinken warned earlier this year that U.S. intelligence showed Beijing was weighing it.",
        "But U.S. officials have said that, to date, they do not believe China has provided Moscow with weapons.",
        "Chinese leader Xi Jinping promised Russian President Vladimir Putin a partnership with “no limits” when they met just weeks before Putin sent his troops into Ukraine on Feb. 24, 2022.",
        "The Biden administration has repeatedly released intelligence findings over the course of the war that aim to demonstrate Russia has limited options to help it resupply weapons.",
    ],
    "004_412b77a1ff059891.txt": [
        "The declassified White House intelligence confirms that the Russian Wagner Group has been preparing to provide air defense capabilities to either Iran or Hezbollah, National Security Council spokesperson John Kirby told reporters on Nov. 21.",
        "While the report did not clarify where the missile system would be coming from, Kirby said that the mercenary group is likely following instructions from the Russian government.",
        "The Wall Street Journal reported on Nov. 2 that according to an unnamed U.S. official, Wagner may be providing Pantsir anti-aircraft systems to Hezbollah.",
        '"We are prepared to use our counterterrorism sanctions authorities against Russian individuals or entities making these destabilizing transfers," Kirby said.',
        'Moscow has been deepening military cooperation with Tehran, securing extensive supplies of Shahed "kamikaze" drones used in airstrikes against Ukraine.',
        "The U.S. is also concerned that Iran is preparing to supply ballistic missiles to Russia, Kirby said.",
        "Both Wagner fighters and members of Hezbollah, a Lebanese militant group backed by Iran, operated in Syria for years, fighting alongside Bashar al-Assad's government troops.",
        "The Syrian dictator is also a close ally of both Russia and Iran.",
        "Worries over potential military supplies to Hezbollah are aggravated by the ongoing Israel-Hamas War.",
        "While not joining the Hamas' attack directly, the Lebanese militant group and the Israeli military have exchanged rocket fire over the past weeks.",
    ],
}

# Page boilerplate that must not reach the cleaned text (substrings).
BOILERPLATE = {
    "000_efc5912cef78bf52.txt": [
        "Current:Home",
        "Core Financial Strategies",
        "Date:",
        "veryGood!",
        "(726)",
        "'No Good Deed'",
        "Dan Hurley contract",
        "Gypsy Rose Blanchard",
        "Arch Manning",
        "Could your smelly farts",
        "Simone Biles",
        "Ask HR",
        "Travis Hunter, the 2",
        "Coast Guard suspends search",
        "Julia Fox",
        "Target stores will no longer",
    ],
    "001_3303a44a3e524015.txt": [
        "Updated:",
        "0:00",
        "National Security Correspondent",
        "master's in military history",
        "is a national security correspondent",
        "twitter",
        "Related Topics",
        "Arms Deals: White House",
    ],
    "002_13bc6e04ac9e9a50.txt": [
        "21478",
        "переглядiв",
        "ISW07.09.24",
        "07.09.24, 02:28",
        "07.09.24, 12:25",
        "Су-35",
        "Julia Shramko",
        "News by theme",
    ],
    "003_4bfa6219a026e7f3.txt": [
        "Current:Home",
        "Date:",
        "veryGood!",
        "(63925)",
        "Highlights from Trump",
        "Chris Mortensen",
        "Powerball winning numbers",
        "'Kraven the Hunter'",
        "gamified",
        "2024 NFL mock draft",
    ],
    "004_412b77a1ff059891.txt": [
        "Three years of reporting",
        "Goal: 1,000 new members",
        "Become a member",
        "Gift membership",
        "Skip to content",
        "Edit post",
        "by Martin Fornusek",
        "1 min read",
        "This audio is created with AI",
        "Millions read the Kyiv Independent",
        "12,000 supporters",
        "readers like you",
        "Help us get 1,000 new members",
        "visa masterCard",
        "News Feed",
        "3:44 PM",
        "Russian ICBM strike",
        "Merkel describes Trump",
        "cancel over $4.5 billion",
        "MORE NEWS",
        "Editors' Picks",
        "Enter your email",
        "indicates required",
        "Subscribe",
        "Explaining Ukraine",
        "Successfuly subscribed",
        "confirmation email",
    ],
}

# Whole lines that must not survive (too common as words to test as substrings).
BOILERPLATE_LINES = {
    "000_efc5912cef78bf52.txt": [
        "View",
        "Related",
        "Ranking",
        "Recommendation",
        "The White House is concerned Iran may provide ballistic missiles to Russia for use against Ukraine",
    ],
    "001_3303a44a3e524015.txt": [
        "Andrew Thornebrooke",
        "Russia Working with Iran, North Korea on New Arms Deals: White House",
    ],
    "002_13bc6e04ac9e9a50.txt": ["Kremlin did not directly deny reports of Iran's possible transfer of ballistic missiles to Russia"],
    "003_4bfa6219a026e7f3.txt": ["View", "Related", "Ranking", "Recommendation"],
    "004_412b77a1ff059891.txt": ["White House: Wagner prepares to provide air defense to Hezbollah or Iran"],
}

# Metadata the page text carries: (title, source, published, authors).
METADATA = {
    "000_efc5912cef78bf52.txt": (
        "The White House is concerned Iran may provide ballistic missiles to Russia for use against Ukraine",
        "AP", "2025-04-25", [],
    ),
    "001_3303a44a3e524015.txt": (
        "Russia Working with Iran, North Korea on New Arms Deals: White House",
        "The Epoch Times", "", ["Andrew Thornebrooke"],
    ),
    "002_13bc6e04ac9e9a50.txt": (
        "Kremlin did not directly deny reports of Iran's possible transfer of ballistic missiles to Russia",
        "UNN", "", ["Julia Shramko"],
    ),
    "003_4bfa6219a026e7f3.txt": (
        "White House says top Russian official pitched North Korea on increasing sale of munitions to Moscow",
        "AP", "2025-04-15", [],
    ),
    "004_412b77a1ff059891.txt": (
        "White House: Wagner prepares to provide air defense to Hezbollah or Iran",
        "", "2023-11-21", ["Martin Fornusek"],
    ),
}  # fmt: skip


def _flat(text: str) -> str:
    """Text with all whitespace runs as single spaces (the cleaner normalises spacing)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def cleaned() -> dict[str, object]:
    """Each seed article cleaned once."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}")
    return {name: clean_text((SEEDS / name).read_text(encoding="utf-8")) for name in BODY_SENTENCES}


@pytest.mark.parametrize("name", sorted(BODY_SENTENCES))
def test_seed_body_sentences_all_survive(cleaned: dict, name: str) -> None:
    text = _flat(cleaned[name].text)
    missing = [s for s in BODY_SENTENCES[name] if _flat(s) not in text]
    assert not missing, f"{name}: body sentences lost: {missing}"


@pytest.mark.parametrize("name", sorted(BODY_SENTENCES))
def test_seed_boilerplate_all_removed(cleaned: dict, name: str) -> None:
    text = cleaned[name].text
    present = [b for b in BOILERPLATE[name] if b in text]
    lines = {line.strip() for line in text.splitlines()}
    present += [line for line in BOILERPLATE_LINES[name] if line in lines]
    assert not present, f"{name}: boilerplate left: {present}"


@pytest.mark.parametrize("name", sorted(BODY_SENTENCES))
def test_seed_body_is_only_the_article(cleaned: dict, name: str) -> None:
    """Nothing but the body sentences (and at most a photo caption) is left."""
    text = _flat(cleaned[name].text)
    for sentence in BODY_SENTENCES[name]:
        text = text.replace(_flat(sentence), " ")
    assert len(text.strip()) < 40, f"{name}: unexpected text left: {text.strip()[:200]!r}"


@pytest.mark.parametrize("name", sorted(METADATA))
def test_seed_metadata_found(cleaned: dict, name: str) -> None:
    title, source, published, authors = METADATA[name]
    result = cleaned[name]
    assert (result.title, result.source, result.published, result.authors) == (title, source, published, authors)


def test_clean_document_fills_only_empty_fields() -> None:
    text = (SEEDS / "004_412b77a1ff059891.txt").read_text(encoding="utf-8") if SEEDS.is_dir() else ""
    if not text:
        pytest.skip("seed articles not found")
    given = Document("004.txt", text, title="Given title", source="Kyiv Independent")
    doc = clean_document(given)
    assert (doc.title, doc.source) == ("Given title", "Kyiv Independent")
    assert doc.published == "2023-11-21" and doc.authors == ["Martin Fornusek"]
    assert "Become a member" not in doc.text and doc.doc_id == "004.txt"
    assert given.text == text  # the input is not changed


def test_an_article_without_a_headline_gets_its_url_slug() -> None:
    url = "https://www.cnn.com/2022/07/25/entertainment/adele-las-vegas-residency-new-dates/index.html"
    doc = clean_document(Document("a", "Adele announced the new dates on Monday.", url=url))
    assert doc.title == "Adele las vegas residency new dates"  # the date and "index.html" are not words
    assert clean_document(Document("a", "Text.", title="Given", url=url)).title == "Given"  # a given headline wins
    assert headline_from_url("https://www.cnn.com/europe/live-news/russia-ukraine-war-news-07-12-22/h_c164ac931cc8") == (
        "Russia ukraine war news"
    )
    for no_words in ("https://example.com/article?id=12345", "https://news.example/click/EYWxleGFuZHJhLm1lZWtz", "", "not a url"):
        assert headline_from_url(no_words) == ""


# --- near misses: body text that looks like boilerplate -------------------------------------
PAGE = """Home > World > Europe
Drones strike Kyiv as NATO meets
By Jane Doe March 5, 2024
{body}
Related Topics
Ukraine
"""

NEAR_MISSES = [
    "Finland became one of NATO's new members in April 2023, doubling the alliance's border with Russia.",
    "“Help us, please,” the mayor said, as readers of the local paper donated food and blankets.",
    "You’ll soon be able to sign up for a cheaper version of the service with ads, though it is in early days.",
    "Western aid will help fund Ukraine's reconstruction, which members of the alliance support.",
    "By the end of the week, Russian forces had withdrawn from the area around the dam.",
    "Officials said the first strike was logged at 07.09.24, 09:59.",
    "Subscribers to the state broadcaster will pay more next year, the ministry said.",
    "The newsletter of the Ukrainian parliament published the law on Tuesday.",
    "Updated figures from 2024 show exports fell.",
]


def test_near_misses_survive() -> None:
    body = "\n".join(["The attack began before dawn, officials in the Ukrainian capital said on Tuesday morning.", *NEAR_MISSES])
    result = clean_text(PAGE.format(body=body))
    lost = [s for s in NEAR_MISSES if s not in result.text]
    assert not lost
    assert "Home > World" not in result.text and "Related Topics" not in result.text
    assert result.title == "Drones strike Kyiv as NATO meets"
    assert result.authors == ["Jane Doe"] and result.published == "2024-03-05"


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for our daily newsletter",
        "Become a member Gift membership",
        "(You can get the briefing delivered to your inbox daily. Sign up here.)",
        "Consider supporting our journalism and become a subscriber today.",
        "Enter your email to subscribe",
    ],
)
def test_prompts_recognised(line: str) -> None:
    assert is_prompt(line)


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_misses_are_not_prompts(line: str) -> None:
    assert not is_prompt(line)


def test_link_box_inside_article_drops_links_keeps_body() -> None:
    text = "\n".join(
        [
            "Ukraine said on Monday that it had shot down 30 of the 35 drones launched overnight by Russia.",
            "Related",
            "- Russia fires missiles at Odesa port",
            "- What we know about the drone attacks",
            "The air force said debris fell on two districts of the capital, damaging several cars and a school.",
        ]
    )
    result = clean_text(text)
    assert "Russia fires missiles" not in result.text and "Related" not in result.text
    assert "debris fell on two districts" in result.text


def test_section_heading_before_more_prose_does_not_cut_the_article() -> None:
    """Live pages and newsletters repeat headings like "Trending" between their parts."""
    first = "The first update of the day says the talks resumed in Geneva after a pause of two weeks."
    later = [f"Update {n}: delegates met again in the afternoon and agreed on a timetable for the next round of talks." for n in range(4)]
    result = clean_text("\n".join([first, "Trending", *later]))
    assert all(line in result.text for line in [first, *later])


def test_bio_of_someone_not_the_author_stays() -> None:
    """A closing sentence shaped like a bio stays unless the page names that person as its author."""
    last = "Evan Gershkovich is a reporter for The Wall Street Journal who was detained in Russia in March 2023."
    text = "\n".join(
        [
            "By Jane Doe",
            "Moscow courts extended the detention of a US journalist again on Tuesday, his lawyers said.",
            last,
        ]
    )
    assert last in clean_text(text).text


def test_short_lines_inside_the_body_stay() -> None:
    """Subheadings and speaker labels are not boilerplate."""
    lines = [
        "The two candidates met for their only debate on Wednesday night in Salt Lake City.",
        "PENCE",
        "The vice president defended the administration's response to the pandemic at length.",
        "Delaware",
        "Voters in the state will decide on a new ballot measure about early voting this fall.",
    ]
    assert clean_text("\n".join(lines)).text.split("\n\n") == lines


def test_long_list_after_the_last_paragraph_stays() -> None:
    rows = [f"{n}. Airline Number {n}" for n in range(1, 11)]
    text = "\n".join(["Qatar Airways was named the world's best airline at the ceremony on Tuesday. The full top 10:", *rows])
    assert all(row in clean_text(text).text for row in rows)


def test_text_without_prose_or_that_cleans_to_nothing_is_kept() -> None:
    assert clean_text("Kyiv\nOdesa\nKharkiv").text == "Kyiv\n\nOdesa\n\nKharkiv"
    assert clean_text("Related\nRanking").text == "Related\n\nRanking"
