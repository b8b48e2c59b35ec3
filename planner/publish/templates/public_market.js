/* How one market is shown on the map page (list and popup) and the directory's badges.
   Texts from the data are only ever set with textContent; links are built with
   setAttribute from links planner wrote (tel: numbers, AMap and Baidu Maps addresses). */
(function () {
  "use strict";
  var F = window.PlannerFilters;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function link(href, text, cls, external) {
    var a = el("a", cls, text);
    a.setAttribute("href", href);
    if (external) {
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
    }
    return a;
  }

  /* A contact field: its text with every phone number as a tel: link. */
  function contact(segments) {
    var span = el("span");
    segments.forEach(function (s) {
      if (s[1] && s[1].indexOf("tel:") === 0) { span.appendChild(link(s[1], s[0])); }
      else { span.appendChild(document.createTextNode(s[0])); }
    });
    return span;
  }

  function navLinks(m) {
    var span = el("span", "nav");
    if (!m.nav) { return null; }
    span.appendChild(link(m.nav.amap, "高德导航", "nav-amap", true));
    span.appendChild(link(m.nav.baidu, "百度导航", "nav-baidu", true));
    return span;
  }

  function badgeEl(m, now) {
    var b = F.badge(m, now || F.nowInZone());
    return el("span", "badge " + b.cls, b.text);
  }

  /* Label/value rows: [label, text | Node] pairs, empty values left out. */
  function details(m, full) {
    var dl = el("dl");
    function row(label, value) {
      if (value === undefined || value === null || value === "" ||
          (Array.isArray(value) && value.length === 0)) { return; }
      dl.appendChild(el("dt", null, label));
      var dd = el("dd");
      if (value instanceof Node) { dd.appendChild(value); }
      else { dd.textContent = Array.isArray(value) ? value.join("、") : value; }
      dl.appendChild(dd);
    }
    var hours = el("span", null, m.hours_view.text);
    if (m.hours_view.note) { hours.appendChild(el("span", "note", "（" + m.hours_view.note + "）")); }
    if (full) {
      row("类型", [m.tier, m.status].filter(Boolean).join(" · "));
      row("地址", m.address);
    }
    row(m.hours_view.label, hours);
    m.contacts.forEach(function (c) { row(c[0], contact(c[1])); });
    if (full) {
      row("工种", m.occupations);
      row("服务项目", m.services);
      row("便民设施", m.facilities);
    }
    return dl;
  }

  /* The popup of a marker. */
  function popup(m, now) {
    var box = el("div", "popup");
    box.appendChild(el("h3", null, m.name));
    box.appendChild(badgeEl(m, now));
    box.appendChild(details(m, true));
    var nav = navLinks(m);
    if (nav) { box.appendChild(nav); }
    return box;
  }

  /* A card of the list beside (on a phone: under) the map. */
  function card(m, now) {
    var li = el("li", "market");
    li.setAttribute("data-id", m.market_id);
    var head = el("div", "head");
    head.appendChild(el("span", "name", m.name));
    head.appendChild(badgeEl(m, now));
    li.appendChild(head);
    li.appendChild(el("div", "meta", [m.tier, m.status].filter(Boolean).join(" · ")));
    if (m.address) { li.appendChild(el("div", "meta", m.address)); }
    li.appendChild(details(m, false));
    var nav = navLinks(m);
    if (nav) { li.appendChild(nav); }
    else { li.appendChild(el("div", "no-coords", "（无坐标，未在地图上显示）")); }
    return li;
  }

  /* Fill every span.badge[data-index] of the page for `now` (default: the clock). */
  function fillBadges(now) {
    var when = now || F.nowInZone();
    var spans = document.querySelectorAll("span.badge[data-index]");
    for (var k = 0; k < spans.length; k++) {
      var m = window.PLANNER_DATA.markets[+spans[k].getAttribute("data-index")];
      var b = F.badge(m, when);
      spans[k].className = "badge " + b.cls;
      spans[k].textContent = b.text;
    }
  }

  window.PlannerMarket = { el: el, popup: popup, card: card, fillBadges: fillBadges };
})();
