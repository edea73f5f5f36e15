"""config/places.yaml (approximate coordinates for the web view's map) and its copy in the `places` table."""
from __future__ import annotations

import math

import pytest

from config import PACKAGE_DIR
from config.load import ConfigError, load_gazetteer, load_places
from config.schema import Place
from crawler.text.relevance import PLACES
from storage.db import session_scope
from storage.places import stored_places, sync_places
from tests.conftest import run_drillwatch

# Coarse boxes (lat, lon) around the territory a detector place is tied to: a swapped or mistyped
# coordinate lands outside them.
COUNTRY_BOXES = {"RU": [((41, 82), (19, 180))], "CN": [((18, 54), (73, 135))], "BY": [((51, 56.5), (23, 33))]}


def km(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def test_every_place_the_gazetteer_and_the_detector_name_has_coordinates_or_is_declared_without():
    places = load_places(PACKAGE_DIR)
    named = {p for instance in load_gazetteer(PACKAGE_DIR).instances for p in instance.places}
    named |= {name for name, _pattern, _country in PLACES}
    missing = named - set(places.places) - set(places.without_coordinates)
    assert not missing, f"add to config/places.yaml (or to without_coordinates): {sorted(missing)}"
    assert set(places.without_coordinates) <= named  # declared for a reason: the gazetteer names them


def test_detector_places_lie_in_their_country():
    places = load_places(PACKAGE_DIR).places
    for name, _pattern, country in PLACES:
        if country in COUNTRY_BOXES:
            place = places[name]
            assert any(lat[0] <= place.latitude <= lat[1] and lon[0] <= place.longitude <= lon[1]
                       for lat, lon in COUNTRY_BOXES[country]), (name, place)


def test_neighbours_are_near_each_other_and_east_of_the_date_line_is_negative():
    p = load_places(PACKAGE_DIR).places
    assert km(p["Vladivostok"], p["Peter the Great Bay"]) < 60
    assert km(p["Vladivostok"], p["Primorsky Krai"]) < 350
    assert km(p["Qingdao"], p["Shandong"]) < 300 and km(p["Qingdao"], p["Yellow Sea"]) < 400
    assert km(p["Zhoushan"], p["Shanghai"]) < 200 and km(p["Zhanjiang"], p["South China Sea"]) < 1200
    assert km(p["Kaliningrad"], p["Baltic Sea"]) < 500 and km(p["Novorossiysk"], p["Black Sea"]) < 400
    assert km(p["Yinchuan"], p["Ningxia"]) < 200 and km(p["Chebarkul"], p["Orenburg"]) < 600
    assert all(p[name].longitude < 0 for name in ("Alaska", "Bering Sea", "Chukchi Sea"))


@pytest.mark.parametrize("body, message", [
    ("places:\n  Atlantis: {latitude: 95, longitude: 0, kind: city}\n",
     "field 'places.Atlantis.latitude': Input should be less than or equal to 90"),
    ("places:\n  Atlantis: {latitude: 10, longitude: 0, kind: island}\n", "field 'places.Atlantis.kind'"),
    ("places:\n  Atlantis: {latitude: 10, longitude: 0, kind: city, height: 3}\n",
     "field 'places.Atlantis.height': unknown key"),
    ("places:\n  Atlantis: {latitude: 1, longitude: 2, kind: city}\nwithout_coordinates: [Atlantis]\n",
     "listed with and without coordinates: Atlantis"),
    ("- Atlantis\n", "expected a mapping with a 'places:' mapping"),
])
def test_a_bad_places_file_names_the_file_and_the_field(tmp_path, body, message):
    (tmp_path / "places.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_places(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'places.yaml'}: ") and message in str(info.value)


def test_a_config_dir_without_places_yaml_uses_the_shipped_one(tmp_path):
    assert load_places(tmp_path) == load_places(PACKAGE_DIR)


def test_sync_places_makes_the_table_a_copy_of_the_file(engine):
    first = {"Vladivostok": Place(latitude=43.1, longitude=131.9, kind="port"),
             "Qingdao": Place(latitude=36.1, longitude=120.4, kind="port")}
    with session_scope(engine) as session:
        assert sync_places(session, first) == 2
    edited = {"Vladivostok": Place(latitude=43.12, longitude=131.89, kind="port"),
              "Laptev Sea": Place(latitude=76.0, longitude=126.0, kind="sea")}
    with session_scope(engine) as session:
        sync_places(session, edited)
    with session_scope(engine) as session:
        assert stored_places(session) == {"Vladivostok": (43.12, 131.89), "Laptev Sea": (76.0, 126.0)}


def test_serve_refuses_a_bad_places_file_before_starting(tmp_path, sqlite_url):
    config = tmp_path / "conf"
    config.mkdir()
    (config / "outlets.yaml").write_text((PACKAGE_DIR / "outlets.yaml").read_text())
    (config / "places.yaml").write_text("places:\n  Atlantis: {latitude: 1, longitude: 200, kind: city}\n")
    result = run_drillwatch("serve", "--port", "1", db=sqlite_url, config=config, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {config / 'places.yaml'}: field 'places.Atlantis.longitude': ")

