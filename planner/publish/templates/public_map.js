/* The public map: markers, popups, boundaries, list and filters. No innerHTML with data. */
(function () {
  "use strict";
  var D = window.PLANNER_DATA;
  var F = window.PlannerFilters;
  var V = window.PlannerMarket;
  var el = V.el;

  var map = L.map("map", { preferCanvas: false, zoomControl: true });
  L.control.scale({ metric: true, imperial: false, position: "bottomright" }).addTo(map);
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
  var legs = L.layerGroup().addTo(map);
  var group = L.featureGroup().addTo(map);
  D.markets.forEach(function (m, i) {
    if (m.lat === null || m.lon === null) { return; }
    var tier = m.tier_code || "none";
    var icon = L.divIcon({
      className: "market-marker tier-" + tier + (m.status_code === "closed" ? " closed" : ""),
      html: el("span", null, TIER_MARK[tier] || "?"),
      iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -12]
    });
    var home = L.latLng(m.lat, m.lon);
    var mk = L.marker(home, { icon: icon, title: m.name, alt: m.name, riseOnHover: true });
    mk.home = home;
    mk.bindPopup(function () { return V.popup(m); }, { maxWidth: 300, autoPanPadding: [12, 12] });
    mk.on("add", function () { mk.getElement().setAttribute("data-id", m.market_id); });
    markers[i] = mk;
    group.addLayer(mk);
  });
  var homes = L.latLngBounds([]);
  Object.keys(markers).forEach(function (i) { homes.extend(markers[i].home); });
  if (homes.isValid()) { fitLayers.push({ getBounds: function () { return homes; } }); }
  if (fitLayers.length) {
    var bounds = L.latLngBounds([]);
    fitLayers.forEach(function (l) { bounds.extend(l.getBounds()); });
    map.fitBounds(bounds.pad(0.05));
  } else {
    map.setView([36.4, 118.5], 7);
  }

  /* Markers closer on screen than SPREAD_PX (their icons would overlap) are set on a
     circle around their centre, each with a thin line to its real spot; redone at every
     zoom and filter change. */
  var SPREAD_PX = 28;
  function spread() {
    legs.clearLayers();
    var items = [];
    Object.keys(markers).forEach(function (i) {
      var mk = markers[i];
      if (group.hasLayer(mk)) { items.push({ mk: mk, p: map.latLngToLayerPoint(mk.home) }); }
    });
    var parent = items.map(function (_, k) { return k; });
    function find(k) {
      while (parent[k] !== k) { parent[k] = parent[parent[k]]; k = parent[k]; }
      return k;
    }
    var grid = {};
    function cellKey(x, y) { return x + ":" + y; }
    items.forEach(function (it, k) {
      var key = cellKey(Math.floor(it.p.x / SPREAD_PX), Math.floor(it.p.y / SPREAD_PX));
      (grid[key] = grid[key] || []).push(k);
    });
    items.forEach(function (it, k) {
      var gx = Math.floor(it.p.x / SPREAD_PX), gy = Math.floor(it.p.y / SPREAD_PX);
      for (var dx = -1; dx <= 1; dx++) {
        for (var dy = -1; dy <= 1; dy++) {
          (grid[cellKey(gx + dx, gy + dy)] || []).forEach(function (j) {
            if (j > k && it.p.distanceTo(items[j].p) < SPREAD_PX) { parent[find(j)] = find(k); }
          });
        }
      }
    });
    var clusters = {};
    items.forEach(function (it, k) { (clusters[find(k)] = clusters[find(k)] || []).push(it); });
    Object.keys(clusters).forEach(function (c) {
      var members = clusters[c];
      if (members.length === 1) { members[0].mk.setLatLng(members[0].mk.home); return; }
      var n = members.length;
      var cx = 0, cy = 0;
      members.forEach(function (it) { cx += it.p.x / n; cy += it.p.y / n; });
      // each keeps its side of the centre; neighbours on the circle SPREAD_PX apart
      members.forEach(function (it, k) {
        it.angle = (it.p.x === cx && it.p.y === cy) ? k : Math.atan2(it.p.y - cy, it.p.x - cx);
      });
      members.sort(function (a, b) { return a.angle - b.angle; });
      var r = Math.max(SPREAD_PX / (2 * Math.sin(Math.PI / n)), SPREAD_PX * 0.6) + 2;
      var a0 = members[0].angle;
      members.forEach(function (it, k) {
        var a = a0 + 2 * Math.PI * k / n;
        var pos = map.layerPointToLatLng(L.point(cx + r * Math.cos(a), cy + r * Math.sin(a)));
        it.mk.setLatLng(pos);
        legs.addLayer(L.polyline([it.mk.home, pos], { color: "#444", weight: 1.5,
                                                     interactive: false }));
      });
    });
  }
  map.on("zoomend", spread);

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var box = el("div", "legend");
    Object.keys(D.tier_labels).forEach(function (code) {
      var line = el("div");
      line.appendChild(el("span", "swatch market-marker tier-" + code));
      line.appendChild(document.createTextNode(D.tier_labels[code]));
      box.appendChild(line);
    });
    box.appendChild(el("div", "legend-note", "相邻市场分开显示，细线指向实际位置"));
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
    spread();
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var now = F.nowInZone();
    D.markets.forEach(function (m, i) {
      if (!visible[i]) { return; }
      var li = V.card(m, now);
      if (markers[i]) {
        li.addEventListener("click", function (ev) {
          if (ev.target.closest && ev.target.closest("a")) { return; }  // a tel: or nav link
          map.setView(markers[i].home, Math.max(map.getZoom(), 14));
          markers[i].openPopup();
        });
      }
      list.appendChild(li);
    });
  }
  F.watch(render);
  window.plannerMap = { map: map, markers: markers, group: group, spread: spread };
})();
