"""Generate the embedded mini dataset in `josh_nb/mini/`.

Everything here is invented for josh_nb (the fictional town of Ashbury): no line of
MultiWOZ, its databases or the ToolWOZ files is copied. The layout and the field
names are those of the real data directory, so the same loader reads both:

    multiwoz/data.json                 dialogue id -> {"goal", "log"} (MultiWOZ 2.0 format)
    multiwoz/testListFile.json         one id a line, with `.json`
    multiwoz/valListFile.json
    multiwoz/db/{restaurant,hotel,attraction,train}_db.json
    toolwoz/valid_api_defs.json        per domain, per API: parameters and returns
    toolwoz/tools.json                 the same 8 APIs as OpenAI function schemas
    toolwoz/api_examples.json          one example call per API

Pure standard library and fully deterministic (no randomness). Run it from anywhere:

    python data/make_mini.py [OUT_DIR]     # default: josh_nb/mini next to this folder

After writing, `check()` re-reads the files and verifies that every kept dialogue's
gold calls are consistent with the databases (so replaying them scores reward 1.0).
"""
import argparse, copy, json, re, sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent/"josh_nb"/"mini"

# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------
AREA_XY = dict(centre=(52.2050, 0.1210), north=(52.2230, 0.1250), south=(52.1880, 0.1300),
               east=(52.2040, 0.1560), west=(52.2060, 0.0950))

def _loc(area, i):
    "A made-up map position near the middle of `area` (deterministic)."
    lat, lon = AREA_XY[area]
    return [round(lat + 0.0013*((i*7) % 5 - 2), 6), round(lon + 0.0017*((i*3) % 5 - 2), 6)]

# name, food, pricerange, area, address, phone, postcode, introduction
_RESTAURANTS = [
    ("the copper kettle", "british", "cheap", "centre", "12 market street", "01632960101", "as12mk",
     "a cosy tea room serving traditional british dishes, pies and puddings"),
    ("lantern house", "chinese", "moderate", "centre", "4 bridge street", "01632960112", "as12lh",
     "a family run restaurant with cantonese classics and dim sum at lunchtime"),
    ("golden lotus", "chinese", "expensive", "centre", "27 kings parade", "01632960123", "as12fl",
     "elegant dining room offering peking duck and seafood from a long tasting menu"),
    ("bella vista", "italian", "moderate", "centre", "9 mill lane", "01632960134", "as13bv",
     "wood fired pizzas and fresh pasta with a view over the river"),
    ("casa rosa", "italian", "cheap", "west", "88 westfield road", "01632960215", "as47cr",
     "a busy neighbourhood trattoria known for generous portions"),
    ("saffron garden", "indian", "expensive", "east", "140 newmarket row", "01632960246", "as53sg",
     "refined north indian cooking with a tandoor and an extensive wine list"),
    ("the spice route", "indian", "cheap", "north", "3 northgate parade", "01632960257", "as21sr",
     "quick and friendly curry house popular with students"),
    ("harbour grill", "european", "expensive", "south", "1 quay side", "01632960268", "as36hg",
     "steaks and fish grilled over charcoal, served on the quay"),
    ("olive and vine", "mediterranean", "moderate", "centre", "15 st aldric lane", "01632960184", "as14ov",
     "small plates from greece, spain and the levant"),
    ("dragon pearl", "chinese", "cheap", "north", "56 chesterfield road", "01632960279", "as22dp",
     "noodle bar with hand pulled noodles and dumplings"),
    ("little tokyo", "japanese", "moderate", "west", "22 orchard way", "01632960281", "as48lt",
     "sushi counter and ramen kitchen"),
    ("riverside bistro", "european", "moderate", "south", "7 towpath walk", "01632960292", "as37rb",
     "seasonal bistro cooking on the riverbank"),
]

# name, area, type, pricerange, stars, internet, parking, (double, family, single), address, phone, postcode
_HOTELS = [
    ("alder guest house", "north", "guesthouse", "moderate", "4", "yes", "yes", ("80", "110", "55"),
     "31 elm road", "01632960301", "as23ag"),
    ("birchwood lodge", "north", "guesthouse", "cheap", "3", "yes", "no", ("55", "75", "40"),
     "112 hollow lane", "01632960312", "as24bl"),
    ("the grand ashbury hotel", "centre", "hotel", "expensive", "4", "yes", "yes", ("160", "210", "120"),
     "1 castle square", "01632960323", "as11ga"),
    ("station view hotel", "centre", "hotel", "moderate", "2", "yes", "no", ("95", "125", "70"),
     "2 station road", "01632960334", "as15sv"),
    ("meadowbank guest house", "east", "guesthouse", "cheap", "4", "yes", "yes", ("60", "85", "45"),
     "45 meadow road", "01632960352", "as54mb"),
    ("the willow inn", "west", "hotel", "moderate", "3", "yes", "yes", ("100", "130", "75"),
     "19 riverside drive", "01632960363", "as49wi"),
    ("kestrel house", "south", "guesthouse", "moderate", "4", "no", "yes", ("75", "100", "50"),
     "8 kestrel close", "01632960374", "as38kh"),
    ("the harbour hotel", "south", "hotel", "expensive", "3", "yes", "yes", ("150", "190", "110"),
     "5 quay side", "01632960385", "as36hh"),
]

# name, type, area, entrance fee, pricerange, openhours, address, phone, postcode
_ATTRACTIONS = [
    ("ashbury museum of clocks", "museum", "centre", "free", "cheap",
     "tuesday to sunday 10:00 am to 5:00 pm", "2 guildhall square", "01632960501", "as11gh"),
    ("the old mill gallery", "museum", "west", "free", "cheap",
     "daily 11:00 am to 4:00 pm", "mill race lane", "01632960512", "as46om"),
    ("st aldric church", "architecture", "centre", "free", "cheap",
     "daily 9:00 am to 6:00 pm", "church walk", "01632960523", "as13sa"),
    ("fenwick botanic garden", "park", "south", "4 pounds", "cheap",
     "daily 8:00 am to 8:00 pm in summer and to 4:00 pm in winter", "fenwick road", "01632960534", "as39fb"),
    ("kingfisher punting", "boat", "centre", "12 pounds", "moderate",
     "march to october 9:00 am to dusk", "the quay, bridge street", "01632960545", "as12kp"),
    ("the lyric theatre", "theatre", "centre", "?", "moderate",
     "box office monday to saturday 12:00 pm to 8:00 pm", "33 high street", "01632960556", "as12lt"),
    ("northgate pool", "swimmingpool", "north", "3 pounds", "cheap",
     "monday to friday 7:00 am to 9:00 pm, weekends 8:00 am to 6:00 pm", "northgate park", "01632960578", "as25np"),
    ("marsh lane cinema", "cinema", "east", "7 pounds", "moderate",
     "daily 12:00 pm to 11:30 pm", "marsh lane", "01632960733", "as53ml"),
]

ROUTES = {("ashbury", "millbrook"): (38, "6.40 pounds"), ("ashbury", "kingsport"): (75, "18.20 pounds"),
          ("ashbury", "harlow cross"): (52, "9.80 pounds")}

# departure, destination, day, [(trainID, leaveAt), ...]
_TRAINS = [
    ("millbrook", "ashbury", "friday", [("TR4415", "07:22"), ("TR4417", "09:22"), ("TR4419", "11:22"), ("TR4421", "13:22")]),
    ("ashbury", "kingsport", "saturday", [("TR5158", "10:15"), ("TR5160", "12:15"), ("TR5161", "14:00"),
                                         ("TR5162", "16:15"), ("TR5164", "18:15")]),
    ("ashbury", "harlow cross", "monday", [("TR2902", "08:40"), ("TR2904", "10:40"), ("TR2906", "12:40")]),
    ("ashbury", "millbrook", "monday", [("TR6041", "06:50"), ("TR6043", "08:50"), ("TR6045", "10:50")]),
    ("harlow cross", "ashbury", "friday", [("TR8385", "13:05"), ("TR8387", "15:05"), ("TR8391", "17:05"), ("TR8393", "19:05")]),
    ("millbrook", "ashbury", "sunday", [("TR7214", "09:40"), ("TR7218", "11:40"), ("TR7222", "14:40")]),
    ("kingsport", "ashbury", "wednesday", [("TR9366", "08:05"), ("TR9370", "16:05")]),
]

def _add_minutes(hhmm, minutes):
    h, m = map(int, hhmm.split(":"))
    t = h*60 + m + minutes
    return f"{t//60:02d}:{t % 60:02d}"

def make_dbs():
    "The four entity databases, with the real databases' field names."
    restaurant = [dict(address=a, area=ar, food=f, id=str(60001 + i), introduction=intro, location=_loc(ar, i),
                       name=n, phone=ph, postcode=pc, pricerange=p, type="restaurant")
                  for i, (n, f, p, ar, a, ph, pc, intro) in enumerate(_RESTAURANTS)]
    hotel = [dict(address=a, area=ar, internet=net, parking=park, id=str(i), location=_loc(ar, i + 3), name=n,
                  phone=ph, postcode=pc, price=dict(double=d, family=fam, single=s), pricerange=p, stars=st,
                  takesbookings="yes", type=t)
             for i, (n, ar, t, p, st, net, park, (d, fam, s), a, ph, pc) in enumerate(_HOTELS)]
    attraction = [{"address": a, "area": ar, "entrance fee": fee, "id": str(i + 1), "location": _loc(ar, i + 5),
                   "name": n, "openhours": oh, "phone": ph, "postcode": pc, "pricerange": p, "type": t}
                  for i, (n, t, ar, fee, p, oh, a, ph, pc) in enumerate(_ATTRACTIONS)]
    train = []
    for dep, dest, day, runs in _TRAINS:
        minutes, price = ROUTES.get((dep, dest)) or ROUTES[(dest, dep)]
        for tid, leave in runs:
            train.append(dict(arriveBy=_add_minutes(leave, minutes), day=day, departure=dep, destination=dest,
                              duration=f"{minutes} minutes", leaveAt=leave, price=price, trainID=tid))
    return dict(restaurant=restaurant, hotel=hotel, attraction=attraction, train=train)

# ---------------------------------------------------------------------------
# ToolWOZ API definitions, tool schemas and examples
# ---------------------------------------------------------------------------
DOMAINS = ("restaurant", "hotel", "attraction", "train")
SEARCH_PARAMS = dict(restaurant=["food", "pricerange", "name", "area"],
                     hotel=["name", "area", "parking", "pricerange", "stars", "internet", "type"],
                     attraction=["type", "name", "area"],
                     train=["leaveAt", "destination", "day", "arriveBy", "departure"])
BOOK_PARAMS = dict(restaurant=["time", "day", "people", "name"], hotel=["stay", "day", "people", "name"],
                   attraction=[], train=["people", "trainID"])
BOOK_RETURNS = dict(restaurant=["name", "reference"], hotel=["name", "reference"], attraction=[],
                    train=["trainID", "reference"])

def make_api_defs(dbs):
    "Per domain, per API: allowed parameters and returned fields (a search returns the db fields but location)."
    out = {}
    for d in DOMAINS:
        fields = [k for k in dbs[d][0] if k != "location"]
        out[d] = {f"book_{d}": dict(parameters=BOOK_PARAMS[d], returns=BOOK_RETURNS[d]),
                  f"search_{d}": dict(parameters=SEARCH_PARAMS[d], returns=fields)}
    return out

AREAS, PRICES = ["centre", "north", "south", "east", "west"], ["cheap", "moderate", "expensive"]
_DESC = {
    "restaurant": ("Make a table reservation at a restaurant found with search_restaurant",
                   "Find restaurants matching the given constraints; leave out any constraint the user did not state",
                   dict(time=("Time of the reservation, 24-hour HH:MM, e.g. 13:00", None),
                        day=("Day of the week of the reservation, e.g. thursday", None),
                        people=("How many people the table is for, e.g. 3", None),
                        name=("Name of the restaurant, e.g. lantern house", None),
                        food=("Cuisine the restaurant serves, e.g. chinese", None),
                        pricerange=("How expensive the restaurant is, e.g. moderate", PRICES),
                        area=("Part of town the restaurant is in, e.g. centre", AREAS))),
    "hotel": ("Reserve rooms at a hotel or guesthouse found with search_hotel",
              "Find places to stay matching the given constraints; leave out any constraint the user did not state",
              dict(stay=("Number of nights, e.g. 4", None),
                   day=("Day of the week of the first night, e.g. friday", None),
                   people=("How many guests, e.g. 2", None),
                   name=("Name of the hotel or guesthouse, e.g. birchwood lodge", None),
                   area=("Part of town the place is in, e.g. north", AREAS),
                   parking=("Whether free parking is offered, e.g. yes", ["yes", "no"]),
                   pricerange=("How expensive the place is, e.g. cheap", PRICES),
                   stars=("Star rating, e.g. 3", ["0", "1", "2", "3", "4", "5"]),
                   internet=("Whether free wifi is offered, e.g. yes", ["yes", "no"]),
                   type=("Kind of place to stay, e.g. guesthouse", ["hotel", "guesthouse"]))),
    "attraction": ("Book an attraction (attractions need no booking; takes no parameters)",
                   "Find attractions matching the given constraints; leave out any constraint the user did not state",
                   dict(type=("Kind of attraction, e.g. museum", None),
                        name=("Name of the attraction, e.g. the lyric theatre", None),
                        area=("Part of town the attraction is in, e.g. centre", AREAS))),
    "train": ("Buy tickets for a train found with search_train",
              "Find trains matching the given constraints; leave out any constraint the user did not state",
              dict(people=("How many tickets, e.g. 3", None),
                   trainID=("ID of the train, e.g. TR5160", None),
                   leaveAt=("Earliest departure time, 24-hour HH:MM; trains leaving after it are returned, e.g. 10:00", None),
                   destination=("Station the train goes to, e.g. kingsport", None),
                   day=("Day of the week of travel, e.g. saturday", None),
                   arriveBy=("Latest arrival time, 24-hour HH:MM; trains arriving before it are returned, e.g. 14:00", None),
                   departure=("Station the train leaves from, e.g. ashbury", None))),
}

def make_tools():
    "The eight APIs as OpenAI function schemas (same order as the real tools.json)."
    tools = []
    for d in DOMAINS:
        book_desc, search_desc, params = _DESC[d]
        for api, desc, names in ((f"book_{d}", book_desc, BOOK_PARAMS[d]), (f"search_{d}", search_desc, SEARCH_PARAMS[d])):
            props = {}
            for p in names:
                text, enum = params[p]
                props[p] = dict(type="string", description=text, **({"enum": enum} if enum else {}))
            tools.append(dict(type="function", function=dict(
                name=api, description=desc, parameters=dict(type="object", required=[], properties=props))))
    return tools

API_EXAMPLES = [
    dict(name="book_restaurant", parameters=dict(time="13:00", day="thursday", people="3", name="lantern house")),
    dict(name="search_restaurant", parameters=dict(food="chinese", pricerange="moderate", name="lantern house", area="centre")),
    dict(name="book_hotel", parameters=dict(stay="4", day="friday", people="2", name="birchwood lodge")),
    dict(name="search_hotel", parameters=dict(name="birchwood lodge", area="north", parking="no", pricerange="cheap",
                                              stars="3", internet="yes", type="guesthouse")),
    dict(name="book_attraction", parameters={}),
    dict(name="search_attraction", parameters=dict(type="theatre", name="the lyric theatre", area="centre")),
    dict(name="book_train", parameters=dict(people="3", trainID="TR5160")),
    dict(name="search_train", parameters=dict(leaveAt="10:00", destination="kingsport", day="saturday",
                                              arriveBy="14:00", departure="ashbury")),
]

# ---------------------------------------------------------------------------
# Goals: the MultiWOZ goal dict and its plain-English message
# ---------------------------------------------------------------------------
ALL_DOMAINS = ("taxi", "police", "hospital", "hotel", "attraction", "restaurant", "train")
E = lambda s: f"<span class='emphasis'>{s}</span>"

def _constraint(d, k, v):
    "One goal constraint in words."
    if v == "dontcare":
        return {"internet": f"{E('does not need to include free wifi')}",
                "parking": f"{E('does not need to have free parking')}"}.get(k, f"can be in {E('any ' + k)}")
    if d == "train":
        return dict(departure=f"should depart from {E(v)}", destination=f"should go to {E(v)}",
                    day=f"should leave on {E(v)}", leaveAt=f"should {E('leave after ' + v)}",
                    arriveBy=f"should {E('arrive by ' + v)}")[k]
    if d == "taxi":
        return dict(leaveAt=f"should {E('leave after ' + v)}", arriveBy=f"should {E('arrive by ' + v)}",
                    departure=f"should pick you up at {E(v)}", destination=f"should take you to {E(v)}")[k]
    if k == "food": return f"should serve {E(v)} food"
    if k == "area": return f"should be in the {E(v)}"
    if k == "pricerange": return f"should be in the {E(v)} price range"
    if k == "type": return f"should be in the type of {E(v)}"
    if k == "stars": return f"should have {E('a star of ' + v)}"
    if k in ("internet", "parking"):
        what = "free wifi" if k == "internet" else "free parking"
        return f"should {E('include ' + what)}" if v == "yes" else f"should {E('not include ' + what)}"
    raise KeyError((d, k))

_NOUN = dict(restaurant="restaurant", hotel="hotel", attraction="attraction", train="train", taxi="taxi")
_LOOKING = dict(restaurant=f"a {E('place to dine')}", hotel=f"a {E('place to stay')}",
                attraction=f"{E('places to go')} in town", train=f"a {E('train')}", taxi=f"a {E('taxi')}")
_REQT = {"phone": "phone number", "postcode": "postcode", "address": "address", "area": "area", "food": "food type",
         "entrance fee": "entrance fee", "price": "price", "duration": "travel time", "arriveBy": "arrival time",
         "leaveAt": "departure time", "trainID": "train ID", "pricerange": "price range", "type": "attraction type",
         "car type": "car type", "stars": "star rating"}

def _and(items):
    return " and ".join(items) if len(items) <= 2 else ", ".join(items[:-1]) + ", and " + items[-1]

def _third_person(c):
    "'should serve X' -> 'serves X' (for 'how about one that ...')."
    if not c.startswith("should "): return c
    c, span = c[len("should "):], E("")[:-len("</span>")]
    pre, c = (span, c[len(span):]) if c.startswith(span) else ("", c)
    for a, b in (("be ", "is "), ("have ", "has "), ("serve ", "serves "), ("go ", "goes "), ("depart ", "departs "),
                 ("leave ", "leaves "), ("arrive ", "arrives "), ("include ", "includes "), ("not ", "does not ")):
        if c.startswith(a): return pre + b + c[len(a):]
    return pre + c

def _book_words(d, b):
    if d == "restaurant":
        return f"book a table for {E(b['people'] + ' people')} at {E(b['time'])} on {E(b['day'])}"
    if d == "hotel":
        return f"book it for {E(b['people'] + ' people')} and {E(b['stay'] + ' nights')} starting from {E(b['day'])}"
    return f"make a booking for {E(b['people'] + ' people')}"

def domain_message(d, g, also):
    "The goal sentences of one domain, in the style of MultiWOZ goal messages."
    noun, out = _NOUN[d], []
    first = {**g["info"], **g.get("fail_info", {})}   # the user first asks for the failing variant
    if "name" in first:
        out.append(f"You are {'also ' if also else ''}looking for a {E('particular ' + noun)}. "
                   f"Its name is called {E(first['name'])}")
    else:
        cons = [_constraint(d, k, v) for k, v in first.items()]
        out.append(f"You are {'also ' if also else ''}looking for {_LOOKING[d]}. The {noun} " + " and ".join(cons[:2]))
        for i in range(2, len(cons), 2): out.append(f"The {noun} " + " and ".join(cons[i:i + 2]))
    if g.get("fail_info"):
        diff = [_constraint(d, k, v) for k, v in g["info"].items() if g["fail_info"].get(k) != v]
        out.append(f"If there is no such {noun}, how about one that " + " and ".join(map(_third_person, diff)))
    book = {k: v for k, v in g.get("book", {}).items() if k not in ("invalid", "pre_invalid")}
    if book:
        fb = g.get("fail_book") or {}
        out.append(f"Once you find the {E(noun)} you want to " + _book_words(d, {**book, **fb}))
        if fb:
            alt = [E(book[k] + " nights") if k == "stay" else E(book[k]) for k in fb]
            out.append("If the booking fails how about " + " and ".join(alt))
        out.append(f"Make sure you get the {E('reference number')}")
    if g.get("reqt"):
        out.append("Make sure you get " + _and([E(_REQT[r]) for r in g["reqt"]]))
    return out

def make_goal(parts):
    "A MultiWOZ goal from {domain: dict(info=..., fail_info=..., book=..., fail_book=..., reqt=...)}."
    goal = {d: {} for d in ALL_DOMAINS}
    message = ["You are planning a trip to Ashbury"]
    for i, (d, p) in enumerate(parts.items()):
        g = dict(info=dict(p["info"]), fail_info=dict(p.get("fail_info", {})),
                 book=dict(invalid=False, **p["book"]) if p.get("book") else {},
                 fail_book=dict(p.get("fail_book", {})))
        if p.get("reqt"): g["reqt"] = list(p["reqt"])
        goal[d] = g
        message += domain_message(d, g, also=i > 0)
    goal["message"] = message
    return goal

# ---------------------------------------------------------------------------
# Dialogue logs: user turns and system turns with the belief state
# ---------------------------------------------------------------------------
SEMI = dict(taxi=["leaveAt", "destination", "departure", "arriveBy"], police=[],
            restaurant=["food", "pricerange", "name", "area"], hospital=["department"],
            hotel=["name", "area", "parking", "pricerange", "stars", "internet", "type"],
            attraction=["type", "name", "area"], train=["leaveAt", "destination", "day", "arriveBy", "departure"])
BOOK_SLOTS = dict(taxi=[], police=[], restaurant=["time", "day", "people"], hospital=[],
                  hotel=["stay", "day", "people"], attraction=[], train=["people"])
META_ORDER = ("taxi", "police", "restaurant", "hospital", "hotel", "attraction", "train")

def empty_state():
    return {d: {"book": {"booked": [], **{s: "" for s in BOOK_SLOTS[d]}}, "semi": {s: "" for s in SEMI[d]}}
            for d in META_ORDER}

def make_log(turns):
    """`turns`: (user text, system text, updates); updates = {domain: {slot: value, "booked": entry}}.
    The belief state accumulates over the system turns, as in MultiWOZ."""
    state, log = empty_state(), []
    for user, system, updates in turns:
        for d, upd in (updates or {}).items():
            st = state[d]
            if all(v == "" for v in st["semi"].values()):
                st["semi"] = {s: "not mentioned" for s in SEMI[d]}   # the domain becomes active
            for k, v in upd.items():
                if k == "booked": st["book"]["booked"].append(dict(v))
                elif k in SEMI[d]: st["semi"][k] = v
                elif k in BOOK_SLOTS[d]: st["book"][k] = v
                else: raise KeyError(f"{d} has no slot {k}")
        log.append({"text": user, "metadata": {}})
        log.append({"text": system, "metadata": copy.deepcopy(state)})
    return log

def _booked(name=None, ref=None, trainID=None):
    return {"trainID": trainID, "reference": ref} if trainID else {"name": name, "reference": ref}

# Each entry: id, split, goal parts, turns.
DIALOGUES = [
    # ---------------- test ----------------
    ("MINI0001", "test",
     dict(restaurant=dict(info=dict(food="chinese", area="centre"),
                          book=dict(people="4", day="saturday", time="19:00"), reqt=["address"])),
     [("Hello, I'm looking for a Chinese restaurant in the centre of town.",
       "There are two Chinese restaurants in the centre: Lantern House, in the moderate price range, and Golden Lotus, "
       "which is expensive. Do you have a preference?",
       dict(restaurant=dict(food="chinese", area="centre"))),
      ("Golden Lotus sounds nice. Could you book a table for 4 people at 19:00 on Saturday?",
       "Your table at Golden Lotus is booked for 4 people on Saturday at 19:00. The table will be held for 15 minutes. "
       "Your reference number is GLX4T7QA.",
       dict(restaurant=dict(name="golden lotus", people="4", day="saturday", time="19:00",
                            booked=_booked("golden lotus", "GLX4T7QA")))),
      ("Great, what's the address, please?",
       "Golden Lotus is at 27 Kings Parade, postcode AS12FL. Is there anything else I can help with?", None),
      ("No, that's all. Thank you!", "You're welcome. Enjoy your meal!", None)]),

    ("MINI0002", "test",
     dict(hotel=dict(info=dict(area="north", type="guesthouse", parking="yes"),
                     book=dict(stay="3", day="tuesday", people="2"))),
     [("I need a guesthouse in the north of town.",
       "I have two guesthouses in the north: Alder Guest House and Birchwood Lodge. Is there anything else that "
       "matters to you?",
       dict(hotel=dict(area="north", type="guesthouse"))),
      ("I'll be driving, so it needs free parking.",
       "Alder Guest House is the one with free parking. It's a moderately priced 4 star guesthouse with free wifi. "
       "Shall I book it?",
       dict(hotel=dict(parking="yes"))),
      ("Yes please, for 2 people for 3 nights starting Tuesday.",
       "Booking was successful. You're staying at Alder Guest House for 3 nights from Tuesday, for 2 people. "
       "Reference number: AGH93K2D.",
       dict(hotel=dict(name="alder guest house", stay="3", day="tuesday", people="2",
                       booked=_booked("alder guest house", "AGH93K2D")))),
      ("Perfect, thanks for your help.", "You're welcome. Have a pleasant stay!", None)]),

    ("MINI0003", "test",
     dict(train=dict(info=dict(departure="millbrook", destination="ashbury", day="friday", arriveBy="12:00"),
                     book=dict(people="2"))),
     [("I need a train from Millbrook to Ashbury on Friday.",
       "There are 4 trains on that route on Friday. What time would you like to travel?",
       dict(train=dict(departure="millbrook", destination="ashbury", day="friday"))),
      ("I need to arrive before 12:00.",
       "TR4417 leaves Millbrook at 09:22 and arrives in Ashbury at 10:00. Would that work for you?",
       dict(train=dict(arriveBy="12:00"))),
      ("That's fine. Please book it for 2 people.",
       "I've booked 2 seats on TR4417. The total fee is 12.80 pounds, payable at the station. "
       "Reference number: T8WQ2M5N.",
       dict(train=dict(people="2", booked=_booked(trainID="TR4417", ref="T8WQ2M5N")))),
      ("Thanks, that's everything.", "Have a good trip!", None)]),

    ("MINI0004", "test",
     dict(attraction=dict(info=dict(type="museum"), reqt=["area", "entrance fee", "address"])),
     [("Are there any museums in town?",
       "Yes, there are two: the Ashbury Museum of Clocks in the centre and the Old Mill Gallery in the west. "
       "Both are free to enter.",
       dict(attraction=dict(type="museum"))),
      ("Where is the Museum of Clocks exactly?",
       "It's at 2 Guildhall Square in the centre, postcode AS11GH.", None),
      ("Lovely, that's all I needed. Thanks!", "You're welcome, enjoy your visit.", None)]),

    ("MINI0005", "test",
     dict(restaurant=dict(info=dict(food="european", area="south", pricerange="expensive"),
                          fail_info=dict(food="korean", area="south", pricerange="expensive"),
                          book=dict(people="2", day="friday", time="20:00")),
          hotel=dict(info=dict(area="south", pricerange="expensive"),
                     book=dict(stay="2", day="friday", people="2"))),
     [("Hi! I'm after an expensive Korean restaurant in the south.",
       "I'm sorry, there are no Korean restaurants in the south, or anywhere in town for that matter. "
       "Would another cuisine do?",
       dict(restaurant=dict(food="korean", area="south", pricerange="expensive"))),
      ("How about European then?",
       "Harbour Grill is an expensive European restaurant in the south, right on the quay. Would you like a table?",
       dict(restaurant=dict(food="european"))),
      ("Yes, a table for 2 at 20:00 on Friday, please.",
       "Done! Your table at Harbour Grill is booked for Friday at 20:00. Reference number: HG5R8V1C.",
       dict(restaurant=dict(name="harbour grill", people="2", day="friday", time="20:00",
                            booked=_booked("harbour grill", "HG5R8V1C")))),
      ("I also need somewhere to stay in the south, in the expensive price range.",
       "The Harbour Hotel is an expensive 3 star hotel in the south with free wifi and parking. Shall I book a room?",
       dict(hotel=dict(area="south", pricerange="expensive"))),
      ("Yes, for 2 people for 2 nights from Friday.",
       "Your room at the Harbour Hotel is booked for 2 nights from Friday. Reference number: HH2M6P4S. "
       "Anything else?",
       dict(hotel=dict(name="the harbour hotel", stay="2", day="friday", people="2",
                       booked=_booked("the harbour hotel", "HH2M6P4S")))),
      ("No, that's it. Thanks so much.", "My pleasure. Enjoy your weekend!", None)]),

    ("MINI0006", "test",
     dict(train=dict(info=dict(departure="ashbury", destination="kingsport", day="saturday", leaveAt="14:00"),
                     book=dict(people="3")),
          attraction=dict(info=dict(name="kingfisher punting"), reqt=["area", "entrance fee"])),
     [("I'm looking for a train to Kingsport on Saturday.",
       "Where will you be departing from, and when would you like to leave?",
       dict(train=dict(destination="kingsport", day="saturday"))),
      ("From Ashbury, leaving after 14:00.",
       "The first train after 14:00 is TR5162, leaving at 16:15 and arriving in Kingsport at 17:30. "
       "Would you like me to book it?",
       dict(train=dict(departure="ashbury", leaveAt="14:00"))),
      ("Yes, 3 tickets please.",
       "Booked! 3 seats on TR5162, 54.60 pounds in total. Reference number: KP3N7X2B.",
       dict(train=dict(people="3", booked=_booked(trainID="TR5162", ref="KP3N7X2B")))),
      ("Before I go, I'd like to try punting. What can you tell me about Kingfisher Punting?",
       "Kingfisher Punting is in the centre of town, at the quay on Bridge Street. A trip costs 12 pounds.",
       dict(attraction=dict(name="kingfisher punting"))),
      ("Great, thanks for your help.", "You're welcome. Have a great trip!", None)]),

    ("MINI0007", "test",
     dict(hotel=dict(info=dict(area="centre", type="hotel", internet="dontcare"),
                     book=dict(stay="2", day="friday", people="3"), fail_book=dict(stay="4"))),
     [("Can you help me find a hotel in the centre? I don't mind whether it has wifi.",
       "There are two hotels in the centre: the Grand Ashbury Hotel, which is expensive with 4 stars, and the "
       "Station View Hotel, a moderately priced 2 star hotel. Which would you prefer?",
       dict(hotel=dict(area="centre", type="hotel", internet="dontcare"))),
      ("The Station View Hotel, please. I need it for 3 people for 4 nights starting Friday.",
       "I'm sorry, the Station View Hotel has no rooms for 4 nights from Friday. Would you like to try a "
       "shorter stay?",
       dict(hotel=dict(name="station view hotel", people="3", day="friday", stay="4"))),
      ("Okay, can you try 2 nights instead?",
       "That worked. You're booked at the Station View Hotel for 2 nights from Friday for 3 people. "
       "Reference number: SV6D1J8L.",
       dict(hotel=dict(stay="2", booked=_booked("station view hotel", "SV6D1J8L")))),
      ("Thank you, that's all.", "You're welcome, goodbye!", None)]),

    ("MINI0008", "test",
     dict(train=dict(info=dict(departure="ashbury", destination="harlow cross", day="monday", leaveAt="09:30"),
                     reqt=["duration", "price"]),
          restaurant=dict(info=dict(food="italian", pricerange="cheap"), reqt=["address", "phone"])),
     [("What trains go from Ashbury to Harlow Cross on Monday after 09:30?",
       "TR2904 leaves at 10:40 and arrives at 11:32, and TR2906 leaves at 12:40. Would you like to book one?",
       dict(train=dict(departure="ashbury", destination="harlow cross", day="monday", leaveAt="09:30"))),
      ("Not yet. How long is the journey on the 10:40 and how much does it cost?",
       "The journey takes 52 minutes and a ticket costs 9.80 pounds.", None),
      ("Thanks. I'm also looking for a cheap Italian restaurant.",
       "Casa Rosa is a cheap Italian restaurant in the west. Would you like to book a table?",
       dict(restaurant=dict(food="italian", pricerange="cheap"))),
      ("No booking needed. Could I have the address and phone number?",
       "Casa Rosa is at 88 Westfield Road, and the phone number is 01632960215.", None),
      ("Perfect, thank you.", "You're welcome, have a nice day!", None)]),

    ("MINI0009", "test",   # has a taxi part: dropped from ToolWOZ
     dict(restaurant=dict(info=dict(food="indian", area="east"), book=dict(people="3", day="tuesday", time="19:30")),
          taxi=dict(info=dict(arriveBy="19:30"), reqt=["car type", "phone"])),
     [("I'd like to find an Indian restaurant in the east.",
       "Saffron Garden is an expensive Indian restaurant in the east. Would you like a reservation?",
       dict(restaurant=dict(food="indian", area="east"))),
      ("Yes, for 3 people on Tuesday at 19:30.",
       "Your table is booked. Reference number: SG4H9T2E.",
       dict(restaurant=dict(name="saffron garden", people="3", day="tuesday", time="19:30",
                            booked=_booked("saffron garden", "SG4H9T2E")))),
      ("I'll also need a taxi from Ashbury station to get there by 19:30.",
       "I've booked a grey Skoda for you. The contact number is 07700900461.",
       dict(taxi=dict(departure="ashbury station", destination="saffron garden", arriveBy="19:30",
                      booked={"phone": "07700900461", "type": "grey skoda"}))),
      ("Thanks, that's all.", "Enjoy your dinner!", None)]),

    # ---------------- val ----------------
    ("MINI0010", "val",
     dict(restaurant=dict(info=dict(food="indian", pricerange="cheap"),
                          book=dict(people="2", day="wednesday", time="12:30"))),
     [("I'm looking for a cheap place that serves Indian food.",
       "The Spice Route is a cheap Indian restaurant in the north, at 3 Northgate Parade. "
       "Would you like to book a table?",
       dict(restaurant=dict(food="indian", pricerange="cheap"))),
      ("Yes, please. A table for 2 on Wednesday at 12:30.",
       "All set. Your reference number is SR8B3Y6W.",
       dict(restaurant=dict(name="the spice route", people="2", day="wednesday", time="12:30",
                            booked=_booked("the spice route", "SR8B3Y6W")))),
      ("Thank you very much.", "You're welcome. Goodbye!", None)]),

    ("MINI0011", "val",
     dict(hotel=dict(info=dict(area="east", pricerange="cheap"), fail_info=dict(area="east", pricerange="expensive"),
                     book=dict(stay="2", day="sunday", people="1")),
          attraction=dict(info=dict(area="east", type="cinema"), reqt=["phone", "postcode"])),
     [("I need an expensive place to stay in the east.",
       "Unfortunately there are no expensive places to stay in the east. Would you consider a different price range?",
       dict(hotel=dict(area="east", pricerange="expensive"))),
      ("Okay, what about something cheap?",
       "Meadowbank Guest House is a cheap 4 star guesthouse in the east with free wifi and parking. "
       "Would you like to book it?",
       dict(hotel=dict(pricerange="cheap"))),
      ("Yes, for 1 person for 2 nights starting Sunday.",
       "Booked! Reference number: MB7C2K5R.",
       dict(hotel=dict(name="meadowbank guest house", stay="2", day="sunday", people="1",
                       booked=_booked("meadowbank guest house", "MB7C2K5R")))),
      ("Is there a cinema in the east as well?",
       "Yes, Marsh Lane Cinema is in the east.",
       dict(attraction=dict(area="east", type="cinema"))),
      ("Can I get its phone number and postcode?",
       "The phone number is 01632960733 and the postcode is AS53ML.", None),
      ("Thanks, that's everything.", "Enjoy your stay!", None)]),

    ("MINI0012", "val",
     dict(train=dict(info=dict(destination="millbrook", leaveAt="08:00", day="monday", departure="ashbury"),
                     book=dict(people="1"))),
     [("I need a train to Millbrook leaving after 08:00.",
       "What day are you travelling, and from where?",
       dict(train=dict(destination="millbrook", leaveAt="08:00"))),
      ("Monday, from Ashbury.",
       "TR6043 leaves Ashbury at 08:50 and arrives in Millbrook at 09:28. Shall I book it?",
       dict(train=dict(day="monday", departure="ashbury"))),
      ("Yes, one ticket please.",
       "Your ticket is booked; 6.40 pounds is payable at the station. Reference number: MK1F5Q8Z.",
       dict(train=dict(people="1", booked=_booked(trainID="TR6043", ref="MK1F5Q8Z")))),
      ("Thanks a lot.", "Have a safe journey!", None)]),

    ("MINI0013", "val",
     dict(restaurant=dict(info=dict(name="olive and vine"), reqt=["phone", "postcode", "food"])),
     [("Can you tell me about a restaurant called Olive and Vine?",
       "Olive and Vine is a moderately priced Mediterranean restaurant in the centre, at 15 St Aldric Lane.",
       dict(restaurant=dict(name="olive and vine"))),
      ("What's their phone number and postcode?",
       "The phone number is 01632960184 and the postcode is AS14OV.", None),
      ("Great, that's all I need.", "Glad I could help. Goodbye!", None)]),

    ("MINI0014", "val",
     dict(hotel=dict(info=dict(name="the grand ashbury hotel"), book=dict(stay="1", day="friday", people="2")),
          train=dict(info=dict(departure="harlow cross", destination="ashbury", day="friday", arriveBy="18:00"),
                     book=dict(people="2"))),
     [("I'd like to book a room at the Grand Ashbury Hotel.",
       "Certainly. For how many people, how many nights and from which day?",
       dict(hotel=dict(name="the grand ashbury hotel"))),
      ("2 people, 1 night, on Friday.",
       "You're booked at the Grand Ashbury Hotel for Friday night. Reference number: GA9P3W7K.",
       dict(hotel=dict(stay="1", day="friday", people="2", booked=_booked("the grand ashbury hotel", "GA9P3W7K")))),
      ("I also need a train from Harlow Cross to Ashbury on Friday, arriving by 18:00.",
       "There are three trains that arrive before 18:00. The latest is TR8391, leaving at 17:05 and arriving at "
       "17:57. Would that suit you?",
       dict(train=dict(departure="harlow cross", destination="ashbury", day="friday", arriveBy="18:00"))),
      ("Yes, please book it for 2 people.",
       "Done. The fare is 19.60 pounds in total. Reference number: HC2T6V4N.",
       dict(train=dict(people="2", booked=_booked(trainID="TR8391", ref="HC2T6V4N")))),
      ("Thank you, goodbye.", "Goodbye, and enjoy your stay!", None)]),

    ("MINI0015", "val",
     dict(attraction=dict(info=dict(type="park"), reqt=["area", "entrance fee"]),
          restaurant=dict(info=dict(area="south", pricerange="moderate"),
                          book=dict(people="5", day="sunday", time="13:15"))),
     [("I'd like to visit a park while I'm in town.",
       "Fenwick Botanic Garden is a lovely park in the south. Entrance is 4 pounds.",
       dict(attraction=dict(type="park"))),
      ("Sounds good. Is there a moderately priced restaurant in the same area?",
       "Riverside Bistro serves European food in the south and is moderately priced. Would you like a table?",
       dict(restaurant=dict(area="south", pricerange="moderate"))),
      ("Yes, for 5 people at 13:15 on Sunday.",
       "Your table for 5 at Riverside Bistro on Sunday at 13:15 is booked. Reference number: RB4K8S1G.",
       dict(restaurant=dict(name="riverside bistro", people="5", day="sunday", time="13:15",
                            booked=_booked("riverside bistro", "RB4K8S1G")))),
      ("Thanks!", "You're welcome. Enjoy the garden and your lunch!", None)]),

    # ---------------- train (in neither list) ----------------
    ("MINI0016", "train",
     dict(restaurant=dict(info=dict(food="japanese", area="west"), fail_info=dict(food="japanese", area="east"),
                          book=dict(people="2", day="thursday", time="18:30"))),
     [("Is there a Japanese restaurant in the east?",
       "I'm afraid there are no Japanese restaurants in the east. Would another area work for you?",
       dict(restaurant=dict(food="japanese", area="east"))),
      ("What about the west?",
       "Little Tokyo is a moderately priced Japanese restaurant in the west. Shall I book it?",
       dict(restaurant=dict(area="west"))),
      ("Yes, please. 2 people on Thursday at 18:30.",
       "Your table is reserved. Reference number: LT6N2D9H.",
       dict(restaurant=dict(name="little tokyo", people="2", day="thursday", time="18:30",
                            booked=_booked("little tokyo", "LT6N2D9H")))),
      ("Thank you, bye.", "Goodbye!", None)]),

    ("MINI0017", "train",
     dict(hotel=dict(info=dict(type="guesthouse", stars="4", internet="yes"), reqt=["phone", "area"])),
     [("I'm looking for a 4 star guesthouse with free wifi.",
       "I have two: Alder Guest House in the north and Meadowbank Guest House in the east. "
       "Would you like to book one?",
       dict(hotel=dict(type="guesthouse", stars="4", internet="yes"))),
      ("Not yet. Can I have the phone number for Meadowbank Guest House?",
       "Of course, it's 01632960352.", None),
      ("Thanks, that's all I need.", "You're welcome. Goodbye!", None)]),

    ("MINI0018", "train",
     dict(train=dict(info=dict(departure="millbrook", destination="ashbury", day="sunday", arriveBy="12:30"),
                     book=dict(people="4"))),
     [("Hi, I need a train from Millbrook to Ashbury.",
       "Sure. What day and time?",
       dict(train=dict(departure="millbrook", destination="ashbury"))),
      ("On Sunday. I have to arrive by 12:30.",
       "TR7218 leaves at 11:40 and arrives at 12:18. There's also an earlier one at 09:40. Which do you prefer?",
       dict(train=dict(day="sunday", arriveBy="12:30"))),
      ("The 11:40 is perfect. Book it for 4 people, please.",
       "Your booking was successful. The total fee is 25.60 pounds. Reference number: SM5J9R3X.",
       dict(train=dict(people="4", booked=_booked(trainID="TR7218", ref="SM5J9R3X")))),
      ("Thank you.", "Have a great day!", None)]),

    ("MINI0019", "train",
     dict(restaurant=dict(info=dict(area="centre", pricerange="moderate"),
                          book=dict(people="6", day="saturday", time="19:00"), fail_book=dict(time="20:00")),
          attraction=dict(info=dict(name="st aldric church"), reqt=["entrance fee", "address"])),
     [("I'm looking for a moderately priced restaurant in the centre.",
       "There are three: Lantern House (Chinese), Bella Vista (Italian) and Olive and Vine (Mediterranean). "
       "Any preference?",
       dict(restaurant=dict(area="centre", pricerange="moderate"))),
      ("Bella Vista, please. Can you book a table for 6 on Saturday at 20:00?",
       "I'm sorry, Bella Vista is fully booked at 20:00 on Saturday. Would another time work?",
       dict(restaurant=dict(name="bella vista", people="6", day="saturday", time="20:00"))),
      ("How about 19:00?",
       "Booking successful. Your table for 6 is booked for Saturday at 19:00. Reference number: BV3L7M2P.",
       dict(restaurant=dict(time="19:00", booked=_booked("bella vista", "BV3L7M2P")))),
      ("Thanks. I'd also like to see St Aldric Church. Is there an entrance fee?",
       "St Aldric Church is free to visit. It's on Church Walk in the centre.",
       dict(attraction=dict(name="st aldric church"))),
      ("Great, that's all. Thank you!", "Enjoy your visit!", None)]),

    ("MINI0020", "train",
     dict(train=dict(info=dict(departure="kingsport", destination="ashbury", day="wednesday", leaveAt="15:00"),
                     book=dict(people="1")),
          restaurant=dict(info=dict(food="british"), reqt=["address", "pricerange"])),
     [("I need a train from Kingsport to Ashbury on Wednesday, leaving after 15:00.",
       "TR9370 leaves Kingsport at 16:05 and arrives in Ashbury at 17:20. Shall I book it?",
       dict(train=dict(departure="kingsport", destination="ashbury", day="wednesday", leaveAt="15:00"))),
      ("Yes, just one seat.",
       "You're booked. 18.20 pounds is payable at the station. Reference number: KA8W4E6T.",
       dict(train=dict(people="1", booked=_booked(trainID="TR9370", ref="KA8W4E6T")))),
      ("Also, are there any restaurants serving British food?",
       "The Copper Kettle serves traditional British food in the centre, and it's cheap.",
       dict(restaurant=dict(food="british"))),
      ("What's the address?", "It's at 12 Market Street, postcode AS12MK.", None),
      ("Thanks, bye.", "Goodbye!", None)]),

    ("MINI0021", "train",
     dict(hotel=dict(info=dict(pricerange="moderate", parking="yes", stars="3"),
                     book=dict(stay="3", day="monday", people="2")),
          attraction=dict(info=dict(area="north"), reqt=["type", "phone"])),
     [("I need a moderately priced place to stay with free parking.",
       "There are three: Alder Guest House and Kestrel House, both 4 star guesthouses, and the Willow Inn, "
       "a 3 star hotel. Do you have a star preference?",
       dict(hotel=dict(pricerange="moderate", parking="yes"))),
      ("3 stars would be fine.",
       "Then the Willow Inn in the west is the one for you. Shall I book it?",
       dict(hotel=dict(stars="3"))),
      ("Yes, for 2 people, 3 nights from Monday.",
       "Done. Reference number: WI5G1H8U.",
       dict(hotel=dict(name="the willow inn", stay="3", day="monday", people="2",
                       booked=_booked("the willow inn", "WI5G1H8U")))),
      ("Is there anything fun to do in the north?",
       "Northgate Pool is a swimming pool in the north. Entry is 3 pounds.",
       dict(attraction=dict(area="north"))),
      ("What's their phone number?", "It's 01632960578.", None),
      ("Thanks, that's all.", "Enjoy your stay!", None)]),
]

# ---------------------------------------------------------------------------
# Simple tasks: one domain, every search constraint in the first message
# ---------------------------------------------------------------------------
# The hand-written dialogues above carry the benchmark's hard cases (failing constraints, strict times,
# several domains). A small model finds no reward on most of them, so the self-improvement loop's default
# also needs tasks it can partly solve: one domain, the user's opening names every search constraint, and the
# booking details come in the next turn. They are built from templates over the databases (deterministic),
# and split by entity so that no test task's entity appears in a train task.
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TIMES = ["12:00", "12:30", "13:15", "18:00", "18:45", "19:30", "20:15"]

def _ref(kind, i):
    "A made-up 8-character booking reference (upper-case letters and digits, as the real ones)."
    return f"{kind[:2].upper()}{i:02d}{'QXZKWPMV'[i % 8]}{'RTYNBLHJ'[i % 7]}{(i * 7) % 10}{'ACEGK'[i % 5]}"

def _restaurant_task(i, e):
    "Find a restaurant by food and area, then book it."
    b = dict(people=str(2 + i % 5), day=_DAYS[i % 7], time=_TIMES[i % 7])
    name = e[0].title()
    return (dict(restaurant=dict(info=dict(food=e[1], area=e[3]), book=b)),
            [(f"I'd like a {e[1]} restaurant in the {e[3]}, please.",
              f"{name} is a {e[2]} {e[1]} restaurant in the {e[3]}. Would you like a table?",
              dict(restaurant=dict(food=e[1], area=e[3]))),
             (f"Yes, a table for {b['people']} at {b['time']} on {b['day'].title()}.",
              f"Done: a table for {b['people']} at {name}, {b['day'].title()} at {b['time']}. "
              f"Reference number: {_ref('restaurant', i)}.",
              dict(restaurant=dict(name=e[0], **b, booked=_booked(e[0], _ref("restaurant", i))))),
             ("Thanks, that's all.", "You're welcome. Enjoy your meal!", None)])

def _hotel_task(i, e):
    "Find a hotel by area and type, then book it."
    b = dict(stay=str(1 + i % 4), day=_DAYS[(i + 3) % 7], people=str(1 + i % 3))
    name = e[0].title()
    return (dict(hotel=dict(info=dict(area=e[1], type=e[2]), book=b)),
            [(f"I need a {e[2]} in the {e[1]}.",
              f"{name} is a {e[3]} {e[4]} star {e[2]} in the {e[1]}. Shall I book it?",
              dict(hotel=dict(area=e[1], type=e[2]))),
             (f"Yes please, for {b['people']} people for {b['stay']} nights from {b['day'].title()}.",
              f"Your stay at {name} is booked: {b['stay']} nights from {b['day'].title()} for {b['people']}. "
              f"Reference number: {_ref('hotel', i)}.",
              dict(hotel=dict(name=e[0], **b, booked=_booked(e[0], _ref("hotel", i))))),
             ("Great, thank you.", "Have a pleasant stay!", None)])

def _attraction_task(i, e):
    "Find an attraction by type and area."
    return (dict(attraction=dict(info=dict(type=e[1], area=e[2]), reqt=["address"])),
            [(f"Is there a {e[1]} to visit in the {e[2]}?",
              f"Yes, {e[0].title()} is a {e[1]} in the {e[2]}. Entrance: {e[3]}.",
              dict(attraction=dict(type=e[1], area=e[2]))),
             ("What's the address?", f"It's at {e[6].title()}, postcode {e[8].upper()}.", None),
             ("Thanks, bye.", "Goodbye!", None)])

def _unique(db, e, keys):
    "Does `e` alone in `db` match its own values of `keys`?"
    return sum(all(x[k] == e[k] for k in keys) for x in db) == 1

def simple_dialogues():
    "(id, split, goal parts, turns) of the simple tasks: entities whose constraints pick them out, every third held out for test."
    dbs, out = make_dbs(), []
    kinds = (("restaurant", _RESTAURANTS, ("food", "area"), _restaurant_task),
             ("hotel", _HOTELS, ("area", "type"), _hotel_task),
             ("attraction", _ATTRACTIONS, ("type", "area"), _attraction_task))
    n = dict(train=0, test=0)
    for d, rows, keys, task in kinds:
        for i, (row, e) in enumerate(zip(rows, dbs[d])):
            if not _unique(dbs[d], e, keys): continue
            split = "test" if i % 3 == 1 else "train"
            n[split] += 1
            did = f"MINI{(1 if split == 'train' else 2)}{n[split]:03d}"
            out.append((did, split, *task(i, row)))
    return out

def make_dialogues():
    data, splits = {}, dict(test=[], val=[], train=[])
    for did, split, parts, turns in DIALOGUES + simple_dialogues():
        data[did] = dict(goal=make_goal(parts), log=make_log(turns))
        splits[split].append(did)
    return data, splits

# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def _dump(obj, path:Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")

def write(out:Path=OUT):
    dbs = make_dbs()
    data, splits = make_dialogues()
    _dump(data, out/"multiwoz"/"data.json")
    for name, ids in (("testListFile.json", splits["test"]), ("valListFile.json", splits["val"])):
        (out/"multiwoz"/name).write_text("".join(f"{i}.json\n" for i in ids))
    for d in DOMAINS: _dump(dbs[d], out/"multiwoz"/"db"/f"{d}_db.json")
    _dump(make_api_defs(dbs), out/"toolwoz"/"valid_api_defs.json")
    _dump(make_tools(), out/"toolwoz"/"tools.json")
    _dump(API_EXAMPLES, out/"toolwoz"/"api_examples.json")
    return out

# ---------------------------------------------------------------------------
# Self-check: re-read the files and verify the gold calls by construction
# ---------------------------------------------------------------------------
EMPTY = {"", "dont care", "don't care", "dontcare", "do n't care", "not mentioned"}
EXCLUDED = ("taxi", "police", "hospital")
UID = dict(restaurant="name", hotel="name", attraction="name", train="trainID")

def _norm(v): return v.lower().replace("'", "") if isinstance(v, str) else v

def _matches(e, k, v):
    "SPEC §2: equality, except strict train time windows (HH:MM string compare)."
    if k == "leaveAt": return isinstance(e.get(k), str) and e[k] > v
    if k == "arriveBy": return isinstance(e.get(k), str) and e[k] < v
    return e.get(k) == v

def _search(db, params):
    f = {k: _norm(v) for k, v in params.items() if isinstance(v, str) and v not in EMPTY}
    return [e for e in db if all(_matches(e, k, v) for k, v in f.items())]

def check(out:Path=OUT):
    "Verify the written mini dataset; print a one-line summary, raise SystemExit on any problem."
    errs = []
    def need(cond, msg):
        if not cond: errs.append(msg)
    for p in sorted(out.rglob("*.json")):
        need(p.read_bytes().endswith(b"\n"), f"{p} does not end with a newline")
    mw, tw = out/"multiwoz", out/"toolwoz"
    data = json.loads((mw/"data.json").read_text())
    dbs = {d: json.loads((mw/"db"/f"{d}_db.json").read_text()) for d in DOMAINS}
    api = json.loads((tw/"valid_api_defs.json").read_text())
    tools = json.loads((tw/"tools.json").read_text())
    examples = json.loads((tw/"api_examples.json").read_text())
    lists = {s: [l.strip() for l in (mw/f"{s}ListFile.json").read_text().splitlines() if l.strip()] for s in ("test", "val")}
    for s, ids in lists.items():
        need(all(i.endswith(".json") for i in ids), f"{s} list ids must end with .json")
    bare = {s: [i[:-5] for i in ids] for s, ids in lists.items()}

    # databases
    for d, db in dbs.items():
        need(len({e[UID[d]] for e in db}) == len(db), f"{d}: duplicate {UID[d]}")
        if d != "train": need(len({e["id"] for e in db}) == len(db), f"{d}: duplicate id")
        fields = set(api[d][f"search_{d}"]["returns"]) | ({"location"} if d != "train" else set())
        for e in db:
            need(set(e) == fields, f"{d} {e.get(UID[d])}: fields {sorted(set(e) ^ fields)} differ from the API returns")
            for k, v in e.items():
                vals = v.values() if isinstance(v, dict) else [v]
                for x in vals:
                    if not isinstance(x, str): continue
                    need("'" not in x, f"{d} {k}={x!r} has an apostrophe")
                    need(k == "trainID" or x == x.lower(), f"{d} {k}={x!r} is not lower-case")
            if "area" in e: need(e["area"] in AREAS, f"{d} area {e['area']!r}")
            if "pricerange" in e: need(e["pricerange"] in PRICES, f"{d} pricerange {e['pricerange']!r}")
            if d == "train":
                need(re.fullmatch(r"TR\d{4}", e["trainID"]) is not None, f"trainID {e['trainID']}")
                need(e["arriveBy"] == _add_minutes(e["leaveAt"], int(e["duration"].split()[0])), f"{e['trainID']} times")
    # api files
    names = [f"{a}_{d}" for d in DOMAINS for a in ("book", "search")]
    need([t["function"]["name"] for t in tools] == names, "tools.json names/order")
    need([x["name"] for x in examples] == names, "api_examples.json names/order")
    for t in tools:
        n = t["function"]["name"]; d = n.split("_")[1]
        need(list(t["function"]["parameters"]["properties"]) == api[d][n]["parameters"], f"{n}: tool params != api defs")
    for x in examples:
        d = x["name"].split("_")[1]
        need(list(x["parameters"]) == api[d][x["name"]]["parameters"], f"{x['name']}: example params != api defs")
        if x["name"].startswith("search_"):
            need(bool(_search(dbs[d], x["parameters"])), f"{x['name']} example matches nothing")

    # dialogues
    kept = {k: v for k, v in data.items() if not any(v["goal"].get(d) for d in EXCLUDED)}
    dropped = sorted(set(data) - set(kept))
    test = sorted(set(bare["test"]) & set(kept)); val = sorted(set(bare["val"]) & set(kept))
    train = sorted(set(kept) - set(test) - set(val))
    need(not (set(bare["test"]) & set(bare["val"])), "test and val lists overlap")
    need(set(bare["test"]) | set(bare["val"]) <= set(data), "a list names a missing dialogue")
    need(all(d in bare["test"] for d in dropped), "dropped (taxi) dialogues should be in the test list")
    n_gold = dict(search=0, book=0); notes = dict(not_first=[], strict=[], underspec=[], fail_info=[], fail_book=[],
                                                   dontcare=[], no_book=[])
    refs = re.compile(r"\b[A-Z0-9]{8}\b")
    for did, dia in data.items():
        goal, log = dia["goal"], dia["log"]
        need(set(ALL_DOMAINS) <= set(goal) and isinstance(goal.get("message"), list) and goal["message"],
             f"{did}: goal keys/message")
        need(4 <= len(log) <= 20 and len(log) % 2 == 0, f"{did}: {len(log)} log turns")
        for i, t in enumerate(log):
            need(set(t) == {"text", "metadata"} and t["text"].strip(), f"{did} turn {i}: keys/text")
            if i % 2 == 0: need(t["metadata"] == {}, f"{did} turn {i}: a user turn must have empty metadata")
            else: need(set(t["metadata"]) == set(META_ORDER), f"{did} turn {i}: system metadata needs all 7 domains")
        system_text = " ".join(t["text"] for t in log[1::2])
        for ph in re.findall(r"\b01632\d{6}\b", system_text):
            need(any(e.get("phone") == ph for db in dbs.values() for e in db), f"{did}: phone {ph} not in a db")
        for pc in re.findall(r"\bAS\d\d[A-Z]{2}\b", system_text):
            need(any(e.get("postcode") == pc.lower() for db in dbs.values() for e in db), f"{did}: postcode {pc}")
        for tid in re.findall(r"\bTR\d{4}\b", system_text):
            need(any(e["trainID"] == tid for e in dbs["train"]), f"{did}: {tid} not in the train db")
        meta = next(t["metadata"] for t in reversed(log) if t["metadata"])
        for d in ALL_DOMAINS:
            g = goal[d]
            if not g: continue
            need({"info", "fail_info", "book", "fail_book"} <= set(g), f"{did} {d}: goal keys")
            booked = meta[d]["book"]["booked"]
            for b in booked:
                if "reference" in b: need(b["reference"] in refs.findall(system_text), f"{did} {d}: reference not said")
            if did not in kept: continue
            info, book = g["info"], {k: v for k, v in g["book"].items() if k not in ("invalid", "pre_invalid")}
            sp, bp = api[d][f"search_{d}"]["parameters"], api[d][f"book_{d}"]["parameters"]
            need(set(info) <= set(sp), f"{did} {d}: info keys {set(info) - set(sp)} are not search params")
            for k, v in info.items():
                need(meta[d]["semi"].get(k) == v, f"{did} {d}: final belief {k}={meta[d]['semi'].get(k)!r} != goal {v!r}")
                if v in EMPTY: notes["dontcare"].append(did)
            gold = {p: info.get(p, "") for p in sp}
            hits = _search(dbs[d], gold)
            n_gold["search"] += 1
            need(len(hits) >= 1, f"{did} {d}: the gold search matches nothing")
            if g["fail_info"]:
                need(not _search(dbs[d], {**gold, **g["fail_info"]}), f"{did} {d}: fail_info should match nothing")
                notes["fail_info"].append(did)
            if g["fail_book"]: notes["fail_book"].append(did)
            for k, v in info.items():
                if k in ("leaveAt", "arriveBy") and any(e.get(k) == v for e in _search(dbs[d], {**gold, k: ""})):
                    notes["strict"].append(f"{did}:{k}")
            if not (book and booked):
                if book or booked: errs.append(f"{did} {d}: goal book and booked list disagree")
                notes["no_book"].append(f"{did}:{d}"); continue
            for k, v in book.items():
                need(isinstance(v, str) and v == v.lower() and v.strip(), f"{did} {d}: book {k}={v!r}")
                need(meta[d]["book"].get(k) == v, f"{did} {d}: final booking {k} != goal")
            uid = booked[-1][UID[d]]
            need(set(booked[-1]) == set(api[d][f"book_{d}"]["returns"]), f"{did} {d}: booked entry fields")
            ents = [e for e in dbs[d] if e[UID[d]] == uid]
            need(len(ents) == 1, f"{did} {d}: booked {uid!r} not in the db")
            need(any(e[UID[d]] == uid for e in hits), f"{did} {d}: the gold search does not return the booked {uid!r}")
            if ents:
                for k, v in info.items():
                    if v not in EMPTY: need(_matches(ents[0], k, _norm(v)), f"{did} {d}: booked {uid} violates {k}={v}")
            n_gold["book"] += 1
            if hits and hits[0][UID[d]] != uid: notes["not_first"].append(f"{did}:{d}")
            keys = [k for k, v in info.items() if v not in EMPTY]
            if any(any(not all(_matches(e, k, _norm(info[k])) for k in keys) for e in _search(dbs[d], {**gold, k: ""}))
                   for k in keys):
                notes["underspec"].append(f"{did}:{d}")
    if errs:
        print("\n".join(f"FAIL {e}" for e in errs), file=sys.stderr)
        raise SystemExit(f"make_mini check: {len(errs)} problem(s)")
    print(f"mini OK: {len(data)} dialogues, kept test {len(test)} / val {len(val)} / train {len(train)}, "
          f"dropped {dropped}; entities " + ", ".join(f"{d} {len(dbs[d])}" for d in DOMAINS) +
          f"; gold calls {n_gold['search'] + n_gold['book']} ({n_gold['search']} search, {n_gold['book']} book); "
          + "; ".join(f"{k}: {' '.join(sorted(set(v)))}" for k, v in notes.items()))

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(OUT), help="output directory (default: josh_nb/mini)")
    out = write(Path(ap.parse_args().out))
    check(out)
