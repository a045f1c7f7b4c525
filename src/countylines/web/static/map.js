(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var map = L.map("map", {preferCanvas: false, zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(data.attribution);
  function popup(rows) {
    var box = document.createElement("div");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      var line = document.createElement("div");
      var key = document.createElement("b");
      key.textContent = row[0] + ": ";
      line.appendChild(key);
      if (Array.isArray(row[1])) {
        var list = document.createElement("ul");
        row[1].forEach(function (item) {
          var li = document.createElement("li");
          li.textContent = item;
          list.appendChild(li);
        });
        line.appendChild(list);
      } else {
        line.appendChild(document.createTextNode(String(row[1])));
      }
      box.appendChild(line);
    });
    return box;
  }
  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  var overlays = {};
  var bounds = null;
  if (data.areas) {
    overlays["Areas"] = L.geoJSON(data.areas, {
      style: function (f) {
        return {color: "#636363", weight: 0.6, fillOpacity: 0.75,
                fillColor: data.colours[f.properties["class"]] || data.other};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(popup([["Area", p.name + " (" + p.area_id + ")"], ["Class", p["class"]],
          ["Score", p.score === null ? "" : p.score.toFixed(3)], ["Factors", p.factors],
          ["Measures", p.measures]]));
      }
    }).addTo(map);
    bounds = overlays["Areas"].getBounds();
  }
  if (data.links) {
    overlays["Links from hubs"] = L.geoJSON(data.links, {
      style: function (f) {
        var weight = 1 + 5 * f.properties.n_lines / data.max_lines;
        return {color: data.link, weight: weight, opacity: 0.8};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(popup([["Hub", p.hub], ["Town", p.town], ["Lines", p.n_lines]]));
      }
    }).addTo(map);
  }
  if (data.stations) {
    overlays["Rail stations"] = L.geoJSON(data.stations, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 3, color: data.station, fillOpacity: 1, weight: 1});
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(popup([["Station", f.properties.name], ["Code", f.properties.code]]));
      }
    }).addTo(map);
  }
  if (data.hubs) {
    overlays["Hubs"] = L.geoJSON(data.hubs, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 8, color: "#ffffff", fillColor: data.hub,
                                       fillOpacity: 1, weight: 2});
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(label(f.properties.name), {permanent: true, direction: "right"});
      }
    }).addTo(map);
  }
  Object.keys(overlays).forEach(function (k) {
    if (!bounds && overlays[k].getBounds().isValid()) { bounds = overlays[k].getBounds(); }
  });
  if (bounds && bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20]}); }
  else { map.setView([52.5, -1.9], 7); }
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "legend");
    Object.keys(data.colours).forEach(function (k) {
      var row = document.createElement("div");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = data.colours[k];
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(k));
      box.appendChild(row);
    });
    return box;
  };
  legend.addTo(map);
})();
