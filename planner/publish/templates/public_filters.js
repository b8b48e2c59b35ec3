/* Filters shared by the map and the directory page. Data comes from data/markets.js
   (window.PLANNER_DATA). Texts from the data are only ever set with textContent. */
(function () {
  "use strict";
  var D = window.PLANNER_DATA;
  var DAY_MIN = 1440;

  /* Open at minute `minute` of `weekday` (0 = Monday)? Spans ending past 1440 run into
     the next day, as in planner.io.hours.OpeningHours.is_open. */
  function isOpenAt(schedule, weekday, minute) {
    if (!schedule) { return false; }
    var today = schedule.week[weekday];
    var i;
    for (i = 0; i < today.length; i++) {
      if (today[i][0] <= minute && minute < today[i][1]) { return true; }
    }
    var prev = schedule.week[(weekday + 6) % 7];
    for (i = 0; i < prev.length; i++) {
      if (prev[i][1] > DAY_MIN && minute < prev[i][1] - DAY_MIN) { return true; }
    }
    return false;
  }

  /* Open or not at minute `minute` of `weekday`, and until / from when:
     {open: true, until: {weekday, minute}} or {open: false, next: {weekday, minute} | null}.
     null without a schedule (hours not read): such a market is never shown as open. */
  function openState(schedule, weekday, minute) {
    if (!schedule) { return null; }
    var d, k, i, iv;
    // An interval of today, or of yesterday running past midnight, holding `minute`.
    var today = schedule.week[weekday];
    for (i = 0; i < today.length; i++) {
      if (today[i][0] <= minute && minute < today[i][1]) {
        return { open: true, until: wrap(weekday, today[i][1]) };
      }
    }
    var prev = schedule.week[(weekday + 6) % 7];
    for (i = 0; i < prev.length; i++) {
      if (prev[i][1] > DAY_MIN && minute < prev[i][1] - DAY_MIN) {
        return { open: true, until: wrap(weekday, prev[i][1] - DAY_MIN) };
      }
    }
    // The next start: later today, then the next seven days.
    for (k = 0; k <= 7; k++) {
      d = (weekday + k) % 7;
      var day = schedule.week[d];
      for (i = 0; i < day.length; i++) {
        iv = day[i];
        if (k === 0 && iv[0] <= minute) { continue; }
        if (k === 7 && iv[0] > minute) { continue; }
        return { open: false, next: { weekday: d, minute: iv[0], days: k } };
      }
    }
    return { open: false, next: null };
  }

  function wrap(weekday, minute) {
    return minute >= DAY_MIN ? { weekday: (weekday + 1) % 7, minute: minute - DAY_MIN, days: 1 }
                             : { weekday: weekday, minute: minute, days: 0 };
  }

  function hhmm(minute) {
    var h = Math.floor(minute / 60), m = minute % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  var WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

  function dayWord(t) {
    if (t.days === 0) { return "今天"; }
    if (t.days === 1) { return "明天"; }
    return WEEKDAYS[t.weekday];
  }

  /* The badge of a market at `now` ({weekday, minute}): {cls, text}. */
  function badge(m, now) {
    if (m.status_code === "closed") { return { cls: "closed", text: "已关闭" }; }
    if (m.status_code === "suspended") { return { cls: "closed", text: "暂停运营" }; }
    var s = openState(m.schedule, now.weekday, now.minute);
    if (s === null) { return { cls: "unknown", text: "营业时间以公布为准" }; }
    if (s.open) {
      return { cls: "open", text: "营业中 · " + (s.until.days ? "次日" : "") + hhmm(s.until.minute) + " 结束" };
    }
    if (s.next === null) { return { cls: "shut", text: "未营业" }; }
    return { cls: "shut", text: "未营业 · " + dayWord(s.next) + " " + hhmm(s.next.minute) + " 开门" };
  }

  /* Weekday (0 = Monday) and minute of the day now, in the directory's time zone. */
  function nowInZone() {
    var d = new Date();
    try {
      var parts = new Intl.DateTimeFormat("en-GB", {
        timeZone: D.timezone, weekday: "short", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23"
      }).formatToParts(d);
      var get = function (t) {
        for (var k = 0; k < parts.length; k++) { if (parts[k].type === t) { return parts[k].value; } }
        return "";
      };
      var days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
      return { weekday: days.indexOf(get("weekday")), minute: +get("hour") * 60 + +get("minute") };
    } catch (e) {
      return { weekday: (d.getDay() + 6) % 7, minute: d.getHours() * 60 + d.getMinutes() };
    }
  }

  function byId(id) { return document.getElementById(id); }

  function state() {
    var when = "all";
    var radios = document.querySelectorAll("input[name=when]");
    for (var i = 0; i < radios.length; i++) { if (radios[i].checked) { when = radios[i].value; } }
    var t = (byId("at-time").value || "05:00").split(":");
    return {
      q: byId("q").value.trim().toLowerCase(),
      county: byId("county").value,
      trade: byId("trade").value,
      when: when,
      weekday: +byId("weekday").value,
      minute: (+t[0]) * 60 + (+t[1] || 0)
    };
  }

  /* Every word of the query is found in the market's search text (synonyms included). */
  function matches(m, s) {
    if (s.q) {
      var words = s.q.split(/\s+/);
      for (var w = 0; w < words.length; w++) {
        if (words[w] && m.search.indexOf(words[w]) < 0) { return false; }
      }
    }
    if (s.county && m.county !== s.county) { return false; }
    if (s.trade && m.occupations.indexOf(s.trade) < 0) { return false; }
    if (s.when === "now") {
      var n = nowInZone();
      return isOpenAt(m.schedule, n.weekday, n.minute);
    }
    if (s.when === "at") { return isOpenAt(m.schedule, s.weekday, s.minute); }
    return true;
  }

  /* Call `apply(visible)` (an array of booleans, one per market) now and on every change. */
  function watch(apply) {
    byId("weekday").value = String(nowInZone().weekday);
    var run = function () {
      var s = state();
      var visible = D.markets.map(function (m) { return matches(m, s); });
      var n = visible.filter(Boolean).length;
      byId("count").textContent = "显示 " + n + " / " + D.markets.length + " 个市场";
      apply(visible);
    };
    var ids = ["q", "county", "trade", "weekday", "at-time"];
    ids.forEach(function (id) {
      byId(id).addEventListener("input", run);
      byId(id).addEventListener("change", run);
    });
    byId("weekday").addEventListener("change", function () { selectAt(); run(); });
    byId("at-time").addEventListener("change", function () { selectAt(); run(); });
    var radios = document.querySelectorAll("input[name=when]");
    for (var i = 0; i < radios.length; i++) { radios[i].addEventListener("change", run); }
    run();
    return run;
  }

  function selectAt() {
    var r = document.querySelector("input[name=when][value=at]");
    if (r) { r.checked = true; }
  }

  window.PlannerFilters = { isOpenAt: isOpenAt, openState: openState, badge: badge,
                            hhmm: hhmm, nowInZone: nowInZone, watch: watch, state: state,
                            matches: matches };
})();
