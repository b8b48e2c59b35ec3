/* The public map: markers, popups, boundaries, list and filters. No innerHTML with data. */
(function () {
  "use strict";
  var D = window.PLANNER_DATA;
  var F = window.PlannerFilters;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function popupContent(m) {
    var box = el("div", "popup");
    box.appendChild(el("h3", null, m.name));
    var dl = el("dl");
    function row(label, value) {
      if (value === undefined || value === null || value === "" ||
          (Array.isArray(value) && value.length === 0)) { return; }
      dl.appendChild(el("dt", null, label));
      var dd = el("dd");
      if (label === "联系电话" || label === "服务热线") {
        var a = el("a", null, value);
        a.setAttribute("href", "tel:" + String(value).replace(/[^0-9+\-]/g, ""));
        dd.appendChild(a);
      } else {
        dd.textContent = Array.isArray(value) ? value.join("、") : value;
      }
      dl.appendChild(dd);
    }
    row("类型", m.tier);
    row("状态", m.status);
    row("地址", m.address);
    row("开放时间", m.hours_normalised && m.hours_normalised !== m.hours
        ? m.hours + "（" + m.hours_normalised + "）" : m.hours);
    row("工种", m.occupations);
    row("联系电话", m.phone);
    row("服务热线", m.hotline);
    row("投诉渠道", m.complaints);
    row("服务项目", m.services);
    row("便民设施", m.facility_labels.length ? m.facility_labels : m.facilities);
    box.appendChild(dl);
    return box;
  }

  var map = L.map("map", { preferCanvas: false, zoomControl: true });
  var fitLayers = [];
  if (D.tiles) {
    D.tiles.layers.forEach(function (t) {
      L.tileLayer(t.url, { attribution: D.tiles.attribution, subdomains: t.subdomains,
                           maxZoom: 18 }).addTo(map);
    });
  }
  if (D.boundaries) {
    var b = L.geoJSON(D.boundaries, {
      style: { color: "#6d4c41", weight: 2, fill: true, fillColor: "#fffde7", fillOpacity: 0.35 },
      interactive: true,
      onEachFeature: function (f, layer) {
        if (f.properties && f.properties.name) { layer.bindTooltip(el("span", null, f.properties.name)); }
      }
    }).addTo(map);
    fitLayers.push(b);
  }

  var TIER_MARK = { comprehensive: "综", sector: "行", station: "站" };
  var markers = {};
  var group = L.featureGroup().addTo(map);
  D.markets.forEach(function (m, i) {
    if (m.lat === null || m.lon === null) { return; }
    var tier = m.tier_code || "none";
    var icon = L.divIcon({
      className: "market-marker tier-" + tier + (m.status_code === "closed" ? " closed" : ""),
      html: el("span", null, TIER_MARK[tier] || "?"),
      iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -12]
    });
    var mk = L.marker([m.lat, m.lon], { icon: icon, title: m.name, alt: m.name, riseOnHover: true });
    mk.bindPopup(function () { return popupContent(m); }, { maxWidth: 320 });
    mk.on("add", function () { mk.getElement().setAttribute("data-id", m.market_id); });
    markers[i] = mk;
    group.addLayer(mk);
  });
  if (group.getLayers().length) { fitLayers.push(group); }
  if (fitLayers.length) {
    var bounds = L.latLngBounds([]);
    fitLayers.forEach(function (l) { bounds.extend(l.getBounds()); });
    map.fitBounds(bounds.pad(0.05));
  } else {
    map.setView([36.4, 118.5], 7);
  }

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var box = el("div", "legend");
    Object.keys(D.tier_labels).forEach(function (code) {
      var line = el("div");
      var sw = el("span", "swatch market-marker tier-" + code);
      line.appendChild(sw);
      line.appendChild(document.createTextNode(D.tier_labels[code]));
      box.appendChild(line);
    });
    return box;
  };
  legend.addTo(map);

  var list = document.getElementById("market-list");
  function render(visible) {
    D.markets.forEach(function (m, i) {
      var mk = markers[i];
      if (!mk) { return; }
      if (visible[i] && !group.hasLayer(mk)) { group.addLayer(mk); }
      if (!visible[i] && group.hasLayer(mk)) { mk.closePopup(); group.removeLayer(mk); }
    });
    while (list.firstChild) { list.removeChild(list.firstChild); }
    D.markets.forEach(function (m, i) {
      if (!visible[i]) { return; }
      var li = el("li");
      li.setAttribute("data-id", m.market_id);
      li.appendChild(el("div", "name", m.name));
      li.appendChild(el("div", "meta", [m.tier, m.status].filter(Boolean).join(" · ")));
      li.appendChild(el("div", "meta", m.address));
      li.appendChild(el("div", "meta", "开放时间：" + (m.hours || "未知")));
      if (!markers[i]) {
        li.appendChild(el("div", "no-coords", "（无坐标，未在地图上显示）"));
      } else {
        li.addEventListener("click", function () {
          map.setView(markers[i].getLatLng(), Math.max(map.getZoom(), 14));
          markers[i].openPopup();
        });
      }
      list.appendChild(li);
    });
  }
  F.watch(render);
  window.plannerMap = { map: map, markers: markers, group: group };
})();
