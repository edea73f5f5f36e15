"""Pure schedule arithmetic: backoff after failures and next run times, with `now` as an argument."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.load import ConfigError
from config.schema import DaemonSettings, Outlet, Settings
from scheduler.backoff import backoff_delay, backoff_until
from scheduler.daemon import (backoff_next_run, build_trigger, crontab_weekdays, format_span, merged_next_run,
                              plan_jobs, trigger_key, trigger_period)

UTC = timezone.utc
NOW = datetime(2024, 7, 15, 10, 0, 0, tzinfo=UTC)  # a Monday
HALF_HOUR, SIX_HOURS = 1800, 6 * 3600


def outlet(name="wire", **kw) -> Outlet:
    return Outlet(name=name, domains=("example.org",), feeds=("https://example.org/feed",), **kw)


def settings(**daemon) -> Settings:
    return Settings(daemon=DaemonSettings(**{"jitter": 0, **daemon}))


# --- backoff_delay / backoff_until ---------------------------------------------------------------

@pytest.mark.parametrize("failures, expected", [
    (0, HALF_HOUR), (1, HALF_HOUR),          # one failure keeps the normal cadence
    (2, 3600), (3, 7200), (4, 4 * 3600),      # then doubles
    (5, SIX_HOURS), (6, SIX_HOURS), (500, SIX_HOURS),  # capped, even for absurd streaks
])
def test_backoff_doubles_per_failure_up_to_the_cap(failures, expected):
    assert backoff_delay(failures, HALF_HOUR, SIX_HOURS) == expected


def test_backoff_never_runs_more_often_than_the_outlets_own_schedule():
    # an outlet crawled every 12h with a 6h cap: the cap must not make it run sooner than 12h
    assert backoff_delay(3, 12 * 3600, SIX_HOURS) == 12 * 3600


def test_backoff_until_counts_from_the_last_failure():
    last = NOW - timedelta(minutes=10)
    assert backoff_until(3, last, HALF_HOUR, SIX_HOURS) == last + timedelta(hours=2)
    assert backoff_until(1, last, HALF_HOUR, SIX_HOURS) is None
    assert backoff_until(3, None, HALF_HOUR, SIX_HOURS) is None


# --- triggers ---------------------------------------------------------------------------------------

def test_interval_outlet_gets_an_interval_trigger_with_the_configured_jitter():
    trigger = build_trigger(outlet(interval="30m"), settings(jitter=45), UTC)
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval_length == HALF_HOUR and trigger.jitter == 45
    assert trigger_period(trigger, NOW) == HALF_HOUR


def test_cron_outlet_fires_at_cron_times_and_its_period_is_measured_from_now():
    trigger = build_trigger(outlet(cron="*/20 * * * *"), settings(), UTC)
    assert trigger.get_next_fire_time(None, NOW + timedelta(minutes=1)) == NOW + timedelta(minutes=20)
    assert trigger_period(trigger, NOW) == 1200


@pytest.mark.parametrize("field, expected", [
    ("*", "*"),
    ("1-5", "mon,tue,wed,thu,fri"),
    ("0", "sun"), ("7", "sun"),
    ("0,6", "sun,sat"),
    ("*/2", "sun,tue,thu,sat"),
    ("mon-fri", "mon-fri"),
])
def test_crontab_day_numbers_follow_crontab_not_apscheduler_3(field, expected):
    assert crontab_weekdays(field) == expected


def test_crontab_monday_means_monday():
    # APScheduler 3's from_crontab reads 1 as Tuesday; outlets.yaml follows crontab(5).
    trigger = build_trigger(outlet(cron="0 6 * * 1"), settings(), UTC)
    fire = trigger.get_next_fire_time(None, NOW + timedelta(hours=1))  # Monday 11:00 -> next Monday 06:00
    assert fire == datetime(2024, 7, 22, 6, 0, tzinfo=UTC)
    assert fire.strftime("%A") == "Monday"


@pytest.mark.parametrize("cron", ["*/30 * * *", "61 * * * *", "0 6 * * 9"])
def test_a_bad_cron_expression_is_a_config_error_naming_the_outlet(cron):
    with pytest.raises(ConfigError) as info:
        plan_jobs((outlet("good"), outlet("tass", cron=cron)), settings(), UTC, "conf/outlets.yaml")
    assert info.value.where == "outlet 'tass' field 'cron'"
    assert info.value.file == "conf/outlets.yaml"
    assert "*/30 * * * *" in info.value.hint


def test_plan_has_one_job_per_enabled_outlet():
    plan = plan_jobs((outlet("a"), outlet("b", enabled=False), outlet("c", cron="0 * * * *")), settings(), UTC)
    assert sorted(plan) == ["crawl:a", "crawl:c"]


def test_trigger_key_ignores_start_date_but_not_the_schedule():
    a = IntervalTrigger(seconds=60, start_date=NOW, timezone=UTC)
    b = IntervalTrigger(seconds=60, start_date=NOW + timedelta(days=3), timezone=UTC)
    assert trigger_key(a) == trigger_key(b)
    assert trigger_key(a) != trigger_key(IntervalTrigger(seconds=61, timezone=UTC))
    assert trigger_key(a) != trigger_key(IntervalTrigger(seconds=60, jitter=5, timezone=UTC))
    assert trigger_key(CronTrigger.from_crontab("0 * * * *", timezone=UTC)) != \
        trigger_key(CronTrigger.from_crontab("5 * * * *", timezone=UTC))


# --- next run when the config is (re)applied ------------------------------------------------------

def test_new_job_runs_now_and_an_unchanged_one_keeps_its_persisted_next_run():
    trigger = IntervalTrigger(seconds=HALF_HOUR, timezone=UTC)
    persisted = NOW + timedelta(minutes=7)
    assert merged_next_run(None, None, trigger, NOW) == NOW
    assert merged_next_run(persisted, trigger_key(trigger), trigger, NOW) == persisted


def test_changed_schedule_runs_at_whichever_comes_first():
    old = IntervalTrigger(seconds=SIX_HOURS, timezone=UTC)
    shorter = IntervalTrigger(seconds=HALF_HOUR, start_date=NOW + timedelta(seconds=HALF_HOUR), timezone=UTC)
    # was due in 5h, now every 30m: the next run moves up to the new schedule
    assert merged_next_run(NOW + timedelta(hours=5), trigger_key(old), shorter, NOW) == NOW + timedelta(minutes=30)
    # was due in 5 minutes: that run stays
    assert merged_next_run(NOW + timedelta(minutes=5), trigger_key(old), shorter, NOW) == NOW + timedelta(minutes=5)


# --- next run after failures -------------------------------------------------------------------

def test_interval_outlet_backs_off_from_its_last_failure():
    trigger = IntervalTrigger(seconds=HALF_HOUR, timezone=UTC)
    last = NOW - timedelta(minutes=1)
    assert backoff_next_run(trigger, 3, last, NOW, SIX_HOURS) == last + timedelta(hours=2)
    assert backoff_next_run(trigger, 9, last, NOW, SIX_HOURS) == last + timedelta(hours=6)


def test_one_failure_or_a_long_past_failure_does_not_move_the_schedule():
    trigger = IntervalTrigger(seconds=HALF_HOUR, timezone=UTC)
    assert backoff_next_run(trigger, 1, NOW, NOW, SIX_HOURS) is None
    assert backoff_next_run(trigger, 0, None, NOW, SIX_HOURS) is None
    assert backoff_next_run(trigger, 3, NOW - timedelta(hours=3), NOW, SIX_HOURS) is None


def test_cron_outlet_backs_off_to_a_cron_time():
    trigger = CronTrigger.from_crontab("0 * * * *", timezone=UTC)  # hourly
    last = NOW + timedelta(minutes=2)  # failed at 10:02; 3 failures -> 4h -> 14:02 -> next cron time 15:00
    assert backoff_next_run(trigger, 3, last, last, SIX_HOURS) == datetime(2024, 7, 15, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("seconds, text", [(5, "5s"), (90, "1m30s"), (1800, "30m"), (7200, "2h"),
                                           (5400, "1h30m"), (93600, "1d2h")])
def test_format_span(seconds, text):
    assert format_span(seconds) == text
