"""tau-bench, call for call: each tool answers as tau-bench's own tool (sierra-research/tau-bench, commit 59a200c) does.

For each tool: the observation text and the database after the call, for valid, repeated and malformed calls. The
expected values are written out here from tau-bench's documented behaviour (its tools' code read as a
specification), on plain copies of the records, so a change of this package's tools cannot move them. Where tau-bench's
tool raises, its observation is Python's exception text: those cases compare with the text Python gives here."""
import copy, json
import pytest
from josh_nb.taubench import *
from josh_nb.tau_tools import *
from josh_nb.tau_env import *
from josh_nb.core import oracle_state

@pytest.fixture(scope="module")
def envs(shared_data):
    return {d: TauEnv(d, shared_data) for d in ("retail", "airline")}

@pytest.fixture(scope="module")
def retail(envs): return envs["retail"]

@pytest.fixture(scope="module")
def airline(envs): return envs["airline"]

def base(env, table, key):
    "A private copy of a record of the shared tables (to build the expected record from)."
    return copy.deepcopy(env.data.db[table][key])

def call(env, s, name, **kw):
    return env.execute(s, {"name": name, "parameters": kw})

def unchanged(env, s) -> bool: return s.db.same_as(TauDB(env.data.db))

def py_error(fn) -> str:
    "`Error: <text>` of the exception `fn()` raises in this Python (tau-bench's observation of a raising tool)."
    try: fn()
    except Exception as e: return f"Error: {e}"
    raise AssertionError("no exception")

# --- the environment: unknown tools, argument errors, errors as observations ----------------------------------------

def test_unknown_tool_and_python_argument_errors(retail, airline):
    s = retail.reset("test_0")
    assert call(retail, s, "cancel_order", order_id="#W1") == "Unknown action cancel_order"
    assert call(retail, s, "respond", content="hi") == "Unknown action respond"   # speaking is not a tool call here
    assert call(retail, s, "get_user_details") == "Error: GetUserDetails.invoke() missing 1 required positional argument: 'user_id'"
    assert call(retail, s, "think", thought="x", mood="calm") == "Error: Think.invoke() got an unexpected keyword argument 'mood'"
    assert call(retail, s, "find_user_id_by_name_zip") == ("Error: FindUserIdByNameZip.invoke() missing 3 required positional "
                                                           "arguments: 'first_name', 'last_name', and 'zip'")
    assert call(retail, s, "list_all_product_types", data=1) == ("Error: tau_bench.envs.retail.tools.list_all_product_types."
                                                                 "ListAllProductTypes.invoke() got multiple values for keyword argument 'data'")
    a = airline.reset("test_0")
    assert call(airline, a, "book_reservation").startswith("Error: BookReservation.invoke() missing 11 required positional arguments: 'user_id', 'origin'")
    assert call(airline, a, "get_user_details", user_id="x", data=2).startswith("Error: tau_bench.envs.airline.tools.get_user_details.GetUserDetails.invoke()")
    assert call(airline, a, "search_direct_flight", origin="JFK") == ("Error: SearchDirectFlight.invoke() missing 2 required "
                                                                     "positional arguments: 'destination' and 'date'")
    assert unchanged(retail, s) and unchanged(airline, a) and len(s.calls) == 6
    # calls that are not a name with an argument object never reach tau-bench's Env: a parse error says what is expected
    assert "not valid JSON" in retail.execute(s, '{"name": "think"')
    assert "must be a JSON object" in retail.execute(s, {"name": "think", "parameters": [1]})

# --- shared tools ----------------------------------------------------------------------------------------------------

def test_think_and_calculate(retail):
    s = retail.reset("test_0")
    assert call(retail, s, "think", thought="hmm") == "" and call(retail, s, "think", thought=5) == ""
    cases = {"2 + 2": "4.0", "6938111410": "6938111410.0", "(1093.34 - 50) * 2": "2086.68", "1/3": "0.33", "10 / 4": "2.5",
             "100 - 99.95": "0.05", "2**8": "256.0", "  3*4": "12.0", "-(5)": "-5.0", "1.005 * 1000": "1005.0",
             "1/0": "Error: division by zero", "1.0/0": "Error: float division by zero", "2//0": "Error: integer division or modulo by zero",
             "()": "Error: float() argument must be a string or a real number, not 'tuple'",
             "...": "Error: float() argument must be a string or a real number, not 'ellipsis'",
             "(1)(2)": "Error: 'int' object is not callable", "10**400": "Error: int too large to convert to float",
             "import os": "Error: invalid characters in expression", "1e5": "Error: invalid characters in expression",
             "2 + x": "Error: invalid characters in expression"}
    for expr, want in cases.items(): assert call(retail, s, "calculate", expression=expr) == want, expr
    for expr in ("", "1 2", "01", "(", "(*())"):   # Python's syntax errors, as eval reports them
        assert call(retail, s, "calculate", expression=expr) == py_error(lambda: compile(expr.lstrip(" "), "<string>", "eval")), expr
    assert call(retail, s, "calculate", expression=5) == "Error: 'int' object is not iterable"
    assert call(retail, s, "calculate", expression=["1", "+", "2"]) == "Error: eval() arg 1 must be a string, bytes or code object"
    assert call(retail, s, "calculate", expression=[1]) == "Error: 'in <string>' requires string as left operand, not int"
    # the one departure: integers that could pass 2**22 bits are not computed (tau-bench would run for minutes)
    assert call(retail, s, "calculate", expression="9**9**9") == "Error: the numbers in this expression could exceed 4194304 bits; not evaluated"
    assert call(retail, s, "calculate", expression="2**1000 / 2**999") == "2.0"
    assert unchanged(retail, s)

def test_transfer_ends_the_episode(retail):
    t = retail.data["test_0"]; s = retail.reset(t)
    for g in t.gold: retail.execute(s, g)
    assert call(retail, s, "transfer_to_human_agents", summary="help") == "Transfer successful" and s.transferred
    out = call(retail, s, "modify_user_address", user_id=t.user_id, address1="1 A St", address2="", city="X", state="NY",
               country="USA", zip="10001")
    assert out.startswith("Error: the episode is over") and retail.reward(s) == 1.0   # the late write never ran
    s = retail.reset(t)
    assert call(retail, s, "transfer_to_human_agents").startswith("Error: TransferToHumanAgents.invoke() missing")
    assert s.over                                      # tau-bench ends the episode even when the transfer call fails
    tr = next(retail.data[i] for i in retail.data.split("test") if retail.data[i].outputs)
    s = retail.reset(tr)
    for g in tr.gold: retail.execute(s, g)
    call(retail, s, "transfer_to_human_agents", summary="x")
    retail.respond(s, "Here: " + ", ".join(tr.outputs))   # said after the episode ended: tau-bench never hears it
    assert s.replies == [] and retail.reward(s) == 0.0

# --- retail: reads ---------------------------------------------------------------------------------------------------

def test_retail_reads(retail):
    s = retail.reset("test_0"); db = retail.data.db
    assert call(retail, s, "find_user_id_by_email", email="NOAH.brown7922@example.com") == "noah_brown_6181"
    assert call(retail, s, "find_user_id_by_email", email=" noah.brown7922@example.com") == "Error: user not found"
    assert call(retail, s, "find_user_id_by_email", email=5) == "Error: 'int' object has no attribute 'lower'"
    assert call(retail, s, "find_user_id_by_name_zip", first_name="YUSUF", last_name="rossi", zip="19122") == "yusuf_rossi_9620"
    assert call(retail, s, "find_user_id_by_name_zip", first_name="Yusuf", last_name="Rossi", zip=" 19122") == "Error: user not found"
    assert call(retail, s, "find_user_id_by_name_zip", first_name="Yusuf", last_name="Rossi", zip=19122) == "Error: user not found"
    assert call(retail, s, "get_order_details", order_id="#W2611340") == json.dumps(db["orders"]["#W2611340"])
    assert call(retail, s, "get_order_details", order_id="W2611340") == "Error: order not found"
    assert call(retail, s, "get_order_details", order_id=2611340) == "Error: order not found"
    assert call(retail, s, "get_order_details", order_id=["#W2611340"]) == "Error: unhashable type: 'list'"
    pid = next(iter(db["products"]))
    assert call(retail, s, "get_product_details", product_id=pid) == json.dumps(db["products"][pid])
    assert call(retail, s, "get_product_details", product_id="x") == "Error: product not found"
    assert call(retail, s, "get_user_details", user_id="yusuf_rossi_9620") == json.dumps(db["users"]["yusuf_rossi_9620"])
    assert call(retail, s, "get_user_details", user_id={"a": 1}) == "Error: unhashable type: 'dict'"
    names = {p["name"]: p["product_id"] for p in db["products"].values()}
    assert call(retail, s, "list_all_product_types") == json.dumps({n: names[n] for n in sorted(names)})
    assert unchanged(retail, s) and not s.db.changes   # reads copy nothing

# --- retail: pending orders -------------------------------------------------------------------------------------------

def test_cancel_pending_order(retail):
    env, s = retail, retail.reset("test_0")
    oid = "#W6779827"                                   # pending, paid with a gift card
    want, user = base(env, "orders", oid), base(env, "users", "ethan_lopez_6291")
    pay = want["payment_history"][0]
    assert call(env, s, "cancel_pending_order", order_id=oid, reason="too expensive") == "Error: invalid reason"
    assert call(env, s, "cancel_pending_order", order_id=oid, reason=["no longer needed"]) == "Error: invalid reason"
    assert call(env, s, "cancel_pending_order", order_id="#W0", reason="no longer needed") == "Error: order not found"
    assert unchanged(env, s)
    out = call(env, s, "cancel_pending_order", order_id=oid, reason="no longer needed")
    want["status"] = "cancelled"; want["cancel_reason"] = "no longer needed"
    want["payment_history"].append({"transaction_type": "refund", "amount": pay["amount"], "payment_method_id": pay["payment_method_id"]})
    card = user["payment_methods"][pay["payment_method_id"]]; card["balance"] = round(card["balance"] + pay["amount"], 2)
    assert out == json.dumps(want) and s.db.get("orders", oid) == want and s.db.get("users", "ethan_lopez_6291") == user
    # repeated: the order is no longer pending
    assert call(env, s, "cancel_pending_order", order_id=oid, reason="no longer needed") == "Error: non-pending order cannot be cancelled"
    assert s.db.get("orders", oid) == want
    assert call(env, s, "cancel_pending_order", order_id="#W2611340", reason="no longer needed") == "Error: non-pending order cannot be cancelled"

def test_modify_pending_order_address(retail):
    env, s = retail, retail.reset("test_0"); oid = "#W5918442"
    addr = dict(address1="1 A St", address2="", city="X", state="NY", country="USA", zip="10001")
    want = base(env, "orders", oid); want["address"] = {k: addr[k] for k in ("address1", "address2", "city", "state", "country", "zip")}
    out = call(env, s, "modify_pending_order_address", order_id=oid, **{k: addr[k] for k in reversed(list(addr))})
    assert out == json.dumps(want) and list(json.loads(out)["address"]) == ["address1", "address2", "city", "state", "country", "zip"]
    assert call(env, s, "modify_pending_order_address", order_id=oid, **{**addr, "zip": 10002}) == json.dumps({**want, "address": {**want["address"], "zip": 10002}})
    assert s.db.get("orders", oid)["address"]["zip"] == 10002      # unchecked: a number is stored as given
    assert call(env, s, "modify_pending_order_address", order_id="#W2611340", **addr) == "Error: non-pending order cannot be modified"
    assert call(env, s, "modify_pending_order_address", order_id=oid, address1="x").startswith(
        "Error: ModifyPendingOrderAddress.invoke() missing 5 required positional arguments: 'address2', 'city', 'state', 'country', and 'zip'")

def test_modify_pending_order_payment(retail):
    env, s = retail, retail.reset("test_0")
    oid = "#W6779827"; want, user = base(env, "orders", oid), base(env, "users", "ethan_lopez_6291")
    old = want["payment_history"][0]; new = next(k for k in user["payment_methods"] if k != old["payment_method_id"])
    assert call(env, s, "modify_pending_order_payment", order_id=oid, payment_method_id="paypal_0") == "Error: payment method not found"
    assert call(env, s, "modify_pending_order_payment", order_id=oid, payment_method_id=old["payment_method_id"]) == \
        "Error: the new payment method should be different from the current one"
    out = call(env, s, "modify_pending_order_payment", order_id=oid, payment_method_id=new)
    want["payment_history"] += [{"transaction_type": "payment", "amount": old["amount"], "payment_method_id": new},
                                {"transaction_type": "refund", "amount": old["amount"], "payment_method_id": old["payment_method_id"]}]
    pm = user["payment_methods"]
    if pm[new]["source"] == "gift_card": pm[new]["balance"] = round(pm[new]["balance"] - old["amount"], 2)
    pm[old["payment_method_id"]]["balance"] = round(pm[old["payment_method_id"]]["balance"] + old["amount"], 2)
    assert out == json.dumps(want) and s.db.get("users", "ethan_lopez_6291") == user
    assert call(env, s, "modify_pending_order_payment", order_id=oid, payment_method_id=new) == \
        "Error: there should be exactly one payment for a pending order"     # repeated
    assert s.db.get("orders", oid) == want

def test_modify_pending_order_items(retail):
    env = retail
    g = next(g for g in env.data["test_3"].gold if g["name"] == "modify_pending_order_items")
    p = g["parameters"]; oid = p["order_id"]; want = base(env, "orders", oid); products = env.data.db["products"]
    s = env.reset("test_3")
    out = call(env, s, "modify_pending_order_items", **p)
    diff = 0
    for old, new in zip(p["item_ids"], p["new_item_ids"]):
        item = next(i for i in want["items"] if i["item_id"] == old)
        diff += products[item["product_id"]]["variants"][new]["price"] - item["price"]
    assert diff == 0.04999999999999716                   # float noise, kept: tau-bench does not round it
    want["payment_history"].append({"transaction_type": "payment", "amount": diff, "payment_method_id": p["payment_method_id"]})
    for old, new in zip(p["item_ids"], p["new_item_ids"]):
        item = next(i for i in want["items"] if i["item_id"] == old)
        v = products[item["product_id"]]["variants"][new]
        item["item_id"], item["price"], item["options"] = new, v["price"], v["options"]
    want["status"] = "pending (item modified)"
    assert out == json.dumps(want) and s.db.get("orders", oid) == want
    assert call(env, s, "modify_pending_order_items", **p) == "Error: non-pending order cannot be modified"   # repeated
    # strict: the same difference rounded to cents, in the answer and the database
    st = TauEnv("retail", env.data, strict=True); s2 = st.reset("test_3")
    assert json.loads(call(st, s2, "modify_pending_order_items", **p))["payment_history"][-1]["amount"] == 0.05
    # empty lists pass tau-bench's checks: a refund of 0 is recorded and the order counts as modified
    s = env.reset("test_3"); want = base(env, "orders", oid)
    out = call(env, s, "modify_pending_order_items", order_id=oid, item_ids=[], new_item_ids=[], payment_method_id=p["payment_method_id"])
    want["payment_history"].append({"transaction_type": "refund", "amount": 0, "payment_method_id": p["payment_method_id"]})
    want["status"] = "pending (item modified)"
    assert out == json.dumps(want)
    s = env.reset("test_3"); first = base(env, "orders", oid)["items"][0]["item_id"]
    assert call(env, s, "modify_pending_order_items", order_id=oid, item_ids=[first, first], new_item_ids=["1", "2"],
                payment_method_id=p["payment_method_id"]) == f"Error: {first} not found"
    assert call(env, s, "modify_pending_order_items", order_id=oid, item_ids=[first], new_item_ids=[],
                payment_method_id=p["payment_method_id"]) == "Error: the number of items to be exchanged should match"
    assert call(env, s, "modify_pending_order_items", order_id=oid, item_ids=[first], new_item_ids=["123"],
                payment_method_id=p["payment_method_id"]) == "Error: new item 123 not found or available"
    assert call(env, s, "modify_pending_order_items", order_id=oid, item_ids=[first], new_item_ids=[first],
                payment_method_id="paypal_0") == "Error: payment method not found"
    assert call(env, s, "modify_pending_order_items", order_id=oid, item_ids=5, new_item_ids=[],
                payment_method_id="x") == "Error: 'int' object is not iterable"
    assert unchanged(env, s)

# --- retail: delivered orders and the profile -------------------------------------------------------------------------

def test_return_and_exchange(retail):
    env, s = retail, retail.reset("test_0")
    oid = "#W4817420"; want = base(env, "orders", oid); items = [i["item_id"] for i in want["items"]]
    pm = want["payment_history"][0]["payment_method_id"]
    assert call(env, s, "return_delivered_order_items", order_id=oid, item_ids=[items[0], "x"], payment_method_id=pm) == "Error: some item not found"
    assert call(env, s, "return_delivered_order_items", order_id=oid, item_ids=items[:1], payment_method_id=7) == "Error: payment method not found"
    assert call(env, s, "exchange_delivered_order_items", order_id=oid, item_ids=["x"], new_item_ids=["y"], payment_method_id=pm) == "Error: x not found"
    assert unchanged(env, s)
    out = call(env, s, "return_delivered_order_items", order_id=oid, item_ids=[items[1], items[0]], payment_method_id=pm)
    r = copy.deepcopy(want); r["status"] = "return requested"; r["return_items"] = sorted(items[:2]); r["return_payment_method_id"] = pm
    assert out == json.dumps(r) and s.db.get("orders", oid) == r
    assert call(env, s, "return_delivered_order_items", order_id=oid, item_ids=items[:1], payment_method_id=pm) == \
        "Error: non-delivered order cannot be returned"                      # repeated
    # an exchange of the same order, in a fresh conversation: the price difference is rounded to cents
    s = env.reset("test_0"); item = want["items"][0]
    variants = env.data.db["products"][item["product_id"]]["variants"]
    new = next(k for k, v in variants.items() if v["available"] and k != item["item_id"])
    out = call(env, s, "exchange_delivered_order_items", order_id=oid, item_ids=[item["item_id"]], new_item_ids=[new], payment_method_id=pm)
    x = copy.deepcopy(want)
    x.update(status="exchange requested", exchange_items=[item["item_id"]], exchange_new_items=[new], exchange_payment_method_id=pm,
             exchange_price_difference=round(variants[new]["price"] - item["price"], 2))
    assert out == json.dumps(x)
    assert call(env, s, "exchange_delivered_order_items", order_id=oid, item_ids=[item["item_id"]], new_item_ids=[new],
                payment_method_id=pm) == "Error: non-delivered order cannot be exchanged"

def test_modify_user_address(retail):
    env, s = retail, retail.reset("test_0"); uid = "yusuf_rossi_9620"
    want = base(env, "users", uid)
    assert list(want["address"]) == ["address1", "address2", "city", "country", "state", "zip"]   # the stored order
    addr = dict(zip="10001", country="USA", state="NY", city="X", address2="", address1="1 A St")
    out = call(env, s, "modify_user_address", user_id=uid, **addr)
    want["address"] = {k: addr[k] for k in ("address1", "address2", "city", "state", "country", "zip")}   # tau-bench's order
    assert out == json.dumps(want) and s.db.get("users", uid) == want
    assert call(env, s, "modify_user_address", user_id=uid, **addr) == out            # repeated: the same answer
    assert call(env, s, "modify_user_address", user_id="nobody", **addr) == "Error: user not found"
    assert env.reward(s) == 0.0                         # test_0 does not ask for it

# --- airline: reads and searches --------------------------------------------------------------------------------------

def test_airline_reads_and_searches(airline):
    env, s = airline, airline.reset("test_0"); db = env.data.db
    airports = json.loads(call(env, s, "list_all_airports"))
    assert list(airports)[:3] == ["SFO", "JFK", "LAX"] and len(airports) == 20 and airports["LGA"] == "LaGuardia"
    assert call(env, s, "get_reservation_details", reservation_id="JG7FMM") == json.dumps(db["reservations"]["JG7FMM"])
    assert call(env, s, "get_reservation_details", reservation_id="ZZZZZZ") == "Error: user not found"   # sic, tau-bench's text
    out = json.loads(call(env, s, "search_direct_flight", origin="JFK", destination="SEA", date="2024-05-20"))
    want = [{**{k: v for k, v in f.items() if k != "dates"}, **f["dates"]["2024-05-20"]} for f in db["flights"].values()
            if f["origin"] == "JFK" and f["destination"] == "SEA" and f["dates"].get("2024-05-20", {}).get("status") == "available"]
    assert out == want and want and all("date" not in f for f in out)
    assert call(env, s, "search_direct_flight", origin="JFK", destination="SEA", date=["2024-05-20"]) == "Error: unhashable type: 'list'"
    # one stop: a first leg landing after midnight pairs with second legs of the next day, shown with the first day's seats and prices
    pairs = json.loads(call(env, s, "search_onestop_flight", origin="LGA", destination="PHX", date="2024-05-15")) + \
            json.loads(call(env, s, "search_onestop_flight", origin="LGA", destination="DEN", date="2024-05-15"))
    late = [(a, b) for a, b in pairs if "+1" in a["scheduled_arrival_time_est"]]
    for a, b in pairs:
        assert a["date"] == "2024-05-15" and a["scheduled_arrival_time_est"] <= b["scheduled_departure_time_est"]
        assert b["prices"] == db["flights"][b["flight_number"]]["dates"]["2024-05-15"].get("prices")
    assert all(b["date"] == "2024-05-16" for a, b in late)
    plus1 = [f["flight_number"] for f in db["flights"].values() if f["origin"] == "LGA" and "+1" in f["scheduled_arrival_time_est"]]
    early = json.loads(call(env, s, "search_onestop_flight", origin="LGA", destination="PHX", date="2024-05-05"))
    assert plus1 and not any(a["flight_number"] in plus1 for a, b in early)   # "2024-05-6" (not zero-padded) is no date
    assert unchanged(env, s)

# --- airline: booking -------------------------------------------------------------------------------------------------

def _booking(env):
    g = copy.deepcopy(env.data["test_0"].gold[0]); assert g["name"] == "book_reservation"
    return g["parameters"]

def test_book_reservation(airline):
    env = airline; db = env.data.db; p = _booking(env); s = env.reset("test_0")
    user = base(env, "users", p["user_id"])
    out = call(env, s, "book_reservation", **copy.deepcopy(p))
    flights, total = [], 0
    for leg in p["flights"]:
        f = db["flights"][leg["flight_number"]]; price = f["dates"][leg["date"]]["prices"][p["cabin"]]
        flights.append({**leg, "price": price, "origin": f["origin"], "destination": f["destination"]})
        total += price * len(p["passengers"])
    want = {"reservation_id": "HATHAT", "user_id": p["user_id"], "origin": p["origin"], "destination": p["destination"],
            "flight_type": p["flight_type"], "cabin": p["cabin"], "flights": flights, "passengers": p["passengers"],
            "payment_history": p["payment_methods"], "created_at": "2024-05-15T15:00:00", "total_baggages": p["total_baggages"],
            "nonfree_baggages": p["nonfree_baggages"], "insurance": p["insurance"]}
    assert out == json.dumps(want) and list(flights[0]) == ["flight_number", "date", "price", "origin", "destination"]
    for pay in p["payment_methods"]:
        m = user["payment_methods"][pay["payment_id"]]
        if m["source"] == "gift_card": m["amount"] -= pay["amount"]
        elif m["source"] == "certificate": del user["payment_methods"][pay["payment_id"]]
    user["reservations"].append("HATHAT")
    assert s.db.get("users", p["user_id"]) == user and s.db.get("reservations", "HATHAT") == want
    # repeated: the used-up certificate is gone now; a booking paid by card only takes the next id, a fourth replaces HATHAV
    card = next(k for k, m in user["payment_methods"].items() if m["source"] == "credit_card")
    paid = total + 30 * len(p["passengers"]) * (p["insurance"] == "yes") + 50 * p["nonfree_baggages"]
    again = {**p, "payment_methods": [{"payment_id": card, "amount": paid}]}
    ids = [json.loads(call(env, s, "book_reservation", **copy.deepcopy(again)))["reservation_id"] for _ in range(3)]
    assert ids == ["HATHAU", "HATHAV", "HATHAV"] and s.db.get("users", p["user_id"])["reservations"][-4:] == ["HATHAT", "HATHAU", "HATHAV", "HATHAV"]
    assert call(env, s, "book_reservation", **{**again, "payment_methods": [{"payment_id": card, "amount": paid + 1}]}) == \
        f"Error: payment amount does not add up, total price is {paid}, but paid {paid + 1}"
    assert call(env, s, "book_reservation", **{**again, "payment_methods": [{"payment_id": card, "amount": str(paid)}]}) == \
        "Error: unsupported operand type(s) for +: 'int' and 'str'"
    assert call(env, s, "book_reservation", **{**again, "nonfree_baggages": "1"}) == "Error: unsupported operand type(s) for +=: 'int' and 'str'"
    assert call(env, s, "book_reservation", **{**again, "cabin": "first"}) == "Error: 'first'"
    assert call(env, s, "book_reservation", **{**again, "user_id": "nobody"}) == "Error: user not found"

def test_book_with_a_certificate_listed_twice(airline):
    "tau-bench deducts the payments one by one: the second use of a certificate raises, after the earlier deductions."
    env = airline; p = _booking(env); s = env.reset("test_0")
    cert = next(x["payment_id"] for x in p["payment_methods"] if x["payment_id"].startswith("certificate"))
    pays = [x for x in p["payment_methods"] if x["payment_id"] != cert]
    camount = next(x["amount"] for x in p["payment_methods"] if x["payment_id"] == cert)
    twice = [{"payment_id": cert, "amount": camount / 2}, {"payment_id": cert, "amount": camount / 2}] + pays
    user = base(env, "users", p["user_id"])
    assert call(env, s, "book_reservation", **{**copy.deepcopy(p), "payment_methods": twice}) == f"Error: '{cert}'"
    del user["payment_methods"][cert]
    assert s.db.get("users", p["user_id"]) == user and s.db.get("reservations", "HATHAT") is None   # half done, as in tau-bench

# --- airline: changes, cancellation, certificates ---------------------------------------------------------------------

def test_update_reservation_flights_keeps_the_cabin(airline):
    env = airline; g = next(g for g in env.data["test_2"].gold if g["parameters"]["reservation_id"] == "JG7FMM")
    p = g["parameters"]; want = base(env, "reservations", "JG7FMM"); db = env.data.db
    s = env.reset("test_2"); out = call(env, s, "update_reservation_flights", **p)
    n = len(want["passengers"]); legs, total = [], 0
    for leg in p["flights"]:   # the cabin differs, so every segment is priced anew, in the cabin asked for
        f = db["flights"][leg["flight_number"]]; price = f["dates"][leg["date"]]["prices"][p["cabin"]]
        legs.append({**leg, "price": price, "origin": f["origin"], "destination": f["destination"]}); total += price * n
    total -= sum(f["price"] for f in want["flights"]) * n
    want["flights"] = legs; want["payment_history"].append({"payment_id": p["payment_id"], "amount": total})
    assert want["cabin"] == "business" != p["cabin"] and out == json.dumps(want) and s.db.get("reservations", "JG7FMM") == want
    # repeated: still "business", so the economy segments are priced again (nothing changes: difference 0, no payment)
    assert call(env, s, "update_reservation_flights", **p) == json.dumps(want)
    assert call(env, s, "update_reservation_flights", **{**p, "payment_id": "certificate_0"}) == "Error: payment method not found"
    assert call(env, s, "update_reservation_flights", **{**p, "flights": [{"flight_number": "HAT999", "date": "2024-05-21"}]}) == \
        "Error: flight HAT999 not found"
    assert call(env, s, "update_reservation_flights", **{**p, "reservation_id": "ZZZZZZ"}) == "Error: reservation not found"
    assert env.reward(s) == 0.0                          # the other four downgrades of test_2 are missing

def test_cancel_reservation_runs_again(airline):
    env, s = airline, airline.reset("test_8"); want = base(env, "reservations", "K1NW8N")
    refunds = [{"payment_id": x["payment_id"], "amount": -x["amount"]} for x in want["payment_history"]]
    want["payment_history"] += refunds; want["status"] = "cancelled"
    assert call(env, s, "cancel_reservation", reservation_id="K1NW8N") == json.dumps(want)
    again = copy.deepcopy(want)
    again["payment_history"] += [{"payment_id": x["payment_id"], "amount": -x["amount"]} for x in want["payment_history"]]
    assert call(env, s, "cancel_reservation", reservation_id="K1NW8N") == json.dumps(again)   # refunds the refunds too
    assert s.db.get("reservations", "K1NW8N") == again and len(again["payment_history"]) == 4 * (len(refunds))
    assert call(env, s, "cancel_reservation", reservation_id="ZZZZZZ") == "Error: reservation not found"
    # a cancelled reservation can still be changed: tau-bench's tools do not look at the status
    out = json.loads(call(env, s, "update_reservation_passengers", reservation_id="K1NW8N", passengers=["x"] * len(want["passengers"])))
    assert out["status"] == "cancelled" and out["passengers"] == ["x"] * len(want["passengers"])

def test_baggages_and_passengers(airline):
    env, s = airline, airline.reset("test_0"); rid = "JG7FMM"; want = base(env, "reservations", rid)
    methods = env.data.db["users"][want["user_id"]]["payment_methods"]
    card = next(k for k, m in methods.items() if m["source"] == "credit_card")
    out = call(env, s, "update_reservation_baggages", reservation_id=rid, total_baggages=3, nonfree_baggages=want["nonfree_baggages"] + 2, payment_id=card)
    price = 100; want["total_baggages"] = 3; want["nonfree_baggages"] += 2; want["payment_history"].append({"payment_id": card, "amount": price})
    assert out == json.dumps(want)
    assert call(env, s, "update_reservation_baggages", reservation_id=rid, total_baggages=3, nonfree_baggages=want["nonfree_baggages"],
                payment_id=card) == json.dumps(want)    # repeated: no bag added, nothing charged
    assert call(env, s, "update_reservation_baggages", reservation_id=rid, total_baggages="3", nonfree_baggages="2", payment_id=card) == \
        "Error: unsupported operand type(s) for -: 'str' and 'int'"
    assert call(env, s, "update_reservation_passengers", reservation_id=rid, passengers=[]) == "Error: number of passengers does not match"
    new = [{"first_name": "A", "last_name": "B", "dob": 1}] * len(want["passengers"])
    want["passengers"] = new
    assert call(env, s, "update_reservation_passengers", reservation_id=rid, passengers=new) == json.dumps(want)
    assert s.db.get("reservations", rid) == want

def test_send_certificate(airline):
    env, s = airline, airline.reset("test_16"); uid = "ethan_martin_2396"; user = base(env, "users", uid)
    assert call(env, s, "send_certificate", user_id=uid, amount="150") == f"Certificate certificate_3221322 added to user {uid} with amount 150."
    user["payment_methods"]["certificate_3221322"] = {"source": "certificate", "amount": "150", "id": "certificate_3221322"}
    assert s.db.get("users", uid) == user                 # the string is stored: tau-bench checks no argument
    assert call(env, s, "send_certificate", user_id=uid, amount=-5).endswith("certificate_3221323 added to user ethan_martin_2396 with amount -5.")
    assert call(env, s, "send_certificate", user_id="nobody", amount=5) == "Error: user not found"
    assert call(env, s, "send_certificate", user_id=uid, amount=1).startswith("Certificate certificate_3221324")
    assert not s.over
    # a fourth: tau-bench's tool returns nothing, its environment fails and its run scores the episode 0
    assert "returned nothing" in call(env, s, "send_certificate", user_id=uid, amount=1) and s.crashed and env.reward(s) == 0.0
    assert call(env, s, "get_user_details", user_id=uid).startswith("Error: the episode is over")
    # the reward compares as tau-bench's hash: 150 and 150.0 differ, so does "150"
    g = env.data["test_16"]
    for amount, r in ((150, 1.0), (150.0, 0.0), ("150", 0.0)):
        s = env.reset(g)
        for x in g.gold: env.execute(s, x if x["name"] != "send_certificate" else {**x, "parameters": {**x["parameters"], "amount": amount}})
        for o in g.outputs: env.respond(s, o)
        assert env.reward(s) == r, amount

# --- the reward and the strict variant --------------------------------------------------------------------------------

def test_reward_compares_as_tau_bench_hashes(retail):
    "tau-bench hashes str() of the database with dict keys sorted: key order does not matter, 51 and 51.0 differ."
    assert reward_text({"b": 1, "a": [1.0, {"d": "x", "c": None}]}) == "(('a', (1.0, (('c', None), ('d', 'x')))), ('b', 1))"
    fresh = lambda: TauDB(retail.data.db)
    db = fresh(); u = db.write("users", "yusuf_rossi_9620"); u["address"] = dict(reversed(list(u["address"].items())))
    assert db.same_as(fresh()) and not db.diff()
    db = fresh(); card = db.write("users", "anya_garcia_3271")["payment_methods"]["gift_card_4374071"]
    assert card["balance"] == 51 and isinstance(card["balance"], int)
    card["balance"] = 51.0                                # == says equal; tau-bench's hash does not
    assert not db.same_as(fresh()) and db.diff()[0]["field"] == "payment_methods.gift_card_4374071.balance"

def test_strict_variant(envs):
    for d, env in envs.items():
        st = TauEnv(d, env.data, strict=True)
        assert "strict" in repr(st)
        for tid in env.data.split("test"):   # the gold actions pass the schemas; the oracle still earns everything
            s = oracle_state(st, st.data[tid])
            assert st.reward(s) == 1.0 and not any("must be" in c["returned"] or "argument" in c["returned"] for c in s.calls), tid
    st = TauEnv("airline", envs["airline"].data, strict=True); s = st.reset("test_16")
    assert call(st, s, "send_certificate", user_id="ethan_martin_2396", amount="150") == 'Error: send_certificate: amount must be a number, not "150".'
    assert "did you mean 'cancel_reservation'" in call(st, s, "cancel_reservations", reservation_id="K1NW8N")
    assert unchanged(st, s)
