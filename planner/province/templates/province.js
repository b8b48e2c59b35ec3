/* planner: the province map (public or planner mode). Counties are drawn from
   province-data.js; a county's markers (county/<code>.js) are loaded only when the map
   shows it, and clustered on a pixel grid (no CDN plugin). Every text from the data is
   put into the page with textContent, never as HTML. */
"use strict";
var Province = (function () {
  var cfg, map, counties = {}, points = {}, loading = {}, layer, outlines;
  var CELL = 64, DETAIL_ZOOM = 9;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
  function fmt(v) { return v === null || v === undefined ? "–" : Math.round(v).toLocaleString(); }
  function colour(v) {
    if (v === null || v === undefined) return "#bbb";
    var stops = [[0.5, "#d7301f"], [0.7, "#fc8d59"], [0.85, "#fdcc8a"], [0.95, "#a6d96a"]];
    for (var i = 0; i < stops.length; i++) if (v < stops[i][0]) return stops[i][1];
    return "#1a9641";
  }
  function href(c, page) { return (cfg.mode === "public" ? "../" : "") + c.folder + "/" + page; }

  function countyPopup(c) {
    var box = el("div");
    box.appendChild(el("b", c.name + " (" + c.city + ")"));
    if (c.status !== "done") { box.appendChild(el("div", "未完成 (failed)")); return box; }
    box.appendChild(el("div", "人口 " + fmt(c.population)));
    box.appendChild(el("div", "零工市场 " + c.markets));
    if (cfg.mode === "planner") {
      box.appendChild(el("div", "综合性覆盖 " + pct(c.covered_before) + " → " + pct(c.covered_after)));
      box.appendChild(el("div", "新增站点 " + c.new_sites + (c.rule_met ? "；每县一家 ✓" : "；每县一家 ✗")));
    }
    var links = cfg.mode === "planner"
      ? [["规划图 planner map", "planner_map.html"], ["方案 proposal", "proposal/proposal.html"]]
      : c.markets ? [["本区县名录 directory", "public/index.html"]] : [];
    links.forEach(function (l) {
      var a = el("a", l[0]); a.href = href(c, l[1]); a.target = "_blank";
      box.appendChild(el("div")).appendChild(a);
    });
    return box;
  }

  function pointPopup(p) {
    var box = el("div");
    box.appendChild(el("b", p.name || p.id || ""));
    if (p.kind === "site") box.appendChild(el("div", "规划新增 proposed: " + (p.tier || "")));
    else if (p.tier) box.appendChild(el("div", p.tier));
    ["status", "address", "hours", "phone"].forEach(function (k) { if (p[k]) box.appendChild(el("div", p[k])); });
    if (p.new_demand) box.appendChild(el("div", "新覆盖需求 " + fmt(p.new_demand)));
    return box;
  }

  function visibleCodes() {
    var b = map.getBounds(), out = [];
    Object.keys(counties).forEach(function (code) {
      var c = counties[code], cb = L.latLngBounds([c.bounds[1], c.bounds[0]], [c.bounds[3], c.bounds[2]]);
      if (b.intersects(cb)) out.push(code);
    });
    return out;
  }

  function load(code) {
    if (points[code] || loading[code] || !counties[code].points) return;
    loading[code] = true;
    var s = document.createElement("script");
    s.src = cfg.data + "/county/" + code + ".js";
    document.body.appendChild(s);
  }

  function draw() {
    layer.clearLayers();
    var zoom = map.getZoom(), groups = {};
    if (zoom < DETAIL_ZOOM) {  // counties' totals, neighbours merged on a coarser grid
      Object.keys(counties).forEach(function (code) {
        var c = counties[code];
        if (!c.points) return;
        var px = map.project([c.lat, c.lon], zoom);
        var key = Math.floor(px.x / (2 * CELL)) + ":" + Math.floor(px.y / (2 * CELL));
        var g = groups[key] || (groups[key] = {lat: 0, lon: 0, n: 0, w: 0, codes: []});
        g.lat += c.lat * c.points; g.lon += c.lon * c.points; g.w += c.points;
        g.n += c.points; g.codes.push(code);
      });
      Object.keys(groups).forEach(function (k) {
        var g = groups[k]; g.lat /= g.w; g.lon /= g.w;
        if (g.codes.length === 1) g.county = g.codes[0];
      });
    } else {
      visibleCodes().forEach(function (code) {
        load(code);
        (points[code] || []).forEach(function (p) {
          var px = map.project([p.lat, p.lon], zoom);
          var key = Math.floor(px.x / CELL) + ":" + Math.floor(px.y / CELL);
          var g = groups[key] || (groups[key] = {lat: 0, lon: 0, n: 0, items: []});
          g.lat += p.lat; g.lon += p.lon; g.n += 1; g.items.push(p);
        });
      });
      Object.keys(groups).forEach(function (k) { var g = groups[k]; g.lat /= g.n; g.lon /= g.n; });
    }
    Object.keys(groups).forEach(function (k) {
      var g = groups[k];
      if (g.items && g.n === 1) {
        var p = g.items[0], size = 14;
        var icon = L.divIcon({className: "dot " + p.kind, iconSize: [size, size]});
        L.marker([p.lat, p.lon], {icon: icon}).bindPopup(pointPopup(p)).addTo(layer);
        return;
      }
      var d = Math.min(48, 22 + 6 * Math.log(g.n));
      var sites = g.items ? g.items.every(function (p) { return p.kind === "site"; }) : false;
      // the count is a number the script computed, never text from the data
      var ic = L.divIcon({html: String(g.n | 0), className: "cluster" + (sites ? " sites" : ""), iconSize: [d, d]});
      var m = L.marker([g.lat, g.lon], {icon: ic}).addTo(layer);
      m.on("click", function () {
        if (g.county) { zoomTo(g.county); return; }
        if (g.codes) {
          var cb = L.latLngBounds([]);
          g.codes.forEach(function (code) {
            var c = counties[code];
            cb.extend([[c.bounds[1], c.bounds[0]], [c.bounds[3], c.bounds[2]]]);
          });
          map.fitBounds(cb);
          return;
        }
        var b = L.latLngBounds(g.items.map(function (p) { return [p.lat, p.lon]; }));
        map.fitBounds(b.pad(0.3), {maxZoom: Math.min(map.getMaxZoom(), zoom + 3)});
      });
    });
  }

  function zoomTo(code) {
    var c = counties[code];
    map.fitBounds([[c.bounds[1], c.bounds[0]], [c.bounds[3], c.bounds[2]]]);
    if (map.getZoom() < DETAIL_ZOOM) map.setZoom(DETAIL_ZOOM);
  }

  function sidebar(list) {
    var byCity = {}, order = [];
    list.forEach(function (c) {
      if (!byCity[c.city]) { byCity[c.city] = []; order.push(c.city); }
      byCity[c.city].push(c);
    });
    var box = document.getElementById("list");
    order.forEach(function (city) {
      box.appendChild(el("h2", city));
      var ul = el("ul");
      byCity[city].forEach(function (c) {
        var li = el("li"), a = el("a", c.name);
        a.addEventListener("click", function () { zoomTo(c.code); });
        li.appendChild(a);
        var extra = cfg.mode === "planner"
          ? "  " + pct(c.covered_after) + (c.status !== "done" ? " 未完成" : c.rule_met ? "" : " ✗")
          : "  " + c.markets + " 家";
        li.appendChild(el("span", extra));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    });
  }

  function legend() {
    var ctl = L.control({position: "bottomright"});
    ctl.onAdd = function () {
      var box = el("div", null, "legend");
      box.appendChild(el("div", "综合性零工市场覆盖 (after)"));
      [["<50%", 0.4], ["50-70%", 0.6], ["70-85%", 0.8], ["85-95%", 0.9], ["≥95%", 1]].forEach(function (r) {
        var row = el("div"), sw = el("i"); sw.style.background = colour(r[1]);
        row.appendChild(sw); row.appendChild(document.createTextNode(r[0])); box.appendChild(row);
      });
      return box;
    };
    ctl.addTo(map);
  }

  return {
    start: function (options) {
      cfg = options;
      map = L.map("map", {preferCanvas: true});
      layer = L.layerGroup().addTo(map);
      map.on("zoomend moveend", draw);
    },
    data: function (d) {
      d.counties.forEach(function (c) { counties[c.code] = c; });
      outlines = L.geoJSON(d.outlines, {
        style: function (f) {
          var c = counties[f.properties.code];
          return cfg.mode === "planner"
            ? {color: "#555", weight: 1, fillColor: colour(c.covered_after), fillOpacity: 0.55}
            : {color: "#777", weight: 1, fillColor: "#fff", fillOpacity: 0.4};
        },
        onEachFeature: function (f, lyr) { lyr.bindPopup(countyPopup(counties[f.properties.code])); }
      }).addTo(map);
      map.fitBounds(outlines.getBounds());
      var total = d.counties.reduce(function (a, c) { return a + c.points; }, 0);
      document.getElementById("note").textContent = d.counties.length + " 个区县，" + total +
        (cfg.mode === "planner" ? " 个市场与规划站点" : " 家零工市场") + "；放大后按区县加载。";
      sidebar(d.counties);
      if (cfg.mode === "planner") legend();
      draw();
    },
    county: function (code, list) { points[code] = list; loading[code] = false; draw(); }
  };
})();
function provinceData(d) { Province.data(d); }
function provinceCounty(code, list) { Province.county(code, list); }
