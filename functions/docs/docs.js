// Renders openapi.json: operations by tag, with parameters, request body and every answer's schema.
"use strict";

(function () {
  var doc;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function resolve(schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      var parts = schema.$ref.replace(/^#\//, "").split("/");
      schema = parts.reduce(function (node, key) { return node && node[key]; }, doc);
    }
    return schema || {};
  }

  function refName(schema) {
    return schema && schema.$ref ? schema.$ref.split("/").pop() : "";
  }

  function typeOf(schema) {
    var s = resolve(schema);
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(typeOf).join(" | ");
    var t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "any");
    if (t === "array" && s.items) return typeOf(s.items) + "[]";
    if (t === "object" && refName(schema)) return refName(schema);
    return t;
  }

  function notes(schema) {
    var s = resolve(schema), out = [];
    ["minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "maxProperties", "pattern", "default"].forEach(function (k) {
      if (s[k] !== undefined) out.push(k + " " + JSON.stringify(s[k]));
    });
    if (s.description) out.push(s.description);
    return out.join("; ");
  }

  function children(schema, depth) {
    var s = resolve(schema);
    if (depth > 6) return null;
    if (s.anyOf || s.oneOf) {
      return el("ul", {}, (s.anyOf || s.oneOf).map(function (alt) {
        return el("li", {}, [el("span", { "class": "type" }, ["one of: " + typeOf(alt)]), children(alt, depth + 1) || ""]);
      }));
    }
    if (s.type === "array" && s.items) return children(s.items, depth + 1);
    var props = s.properties || {};
    var required = s.required || [];
    var items = Object.keys(props).map(function (name) {
      var line = [el("span", { "class": "name" }, [name]), " ", el("span", { "class": "type" }, [typeOf(props[name])])];
      if (required.indexOf(name) >= 0) line.push(" ", el("span", { "class": "req" }, ["required"]));
      var n = notes(props[name]);
      if (n) line.push(" ", el("span", { "class": "note" }, [n]));
      var sub = children(props[name], depth + 1);
      if (sub) line.push(sub);
      return el("li", {}, line);
    });
    if (s.additionalProperties && typeof s.additionalProperties === "object") {
      items.push(el("li", {}, [el("span", { "class": "name" }, ["{any name}"]), " ",
        el("span", { "class": "type" }, [typeOf(s.additionalProperties)])]));
    }
    return items.length ? el("ul", {}, items) : null;
  }

  function schemaBlock(schema) {
    var head = [el("span", { "class": "type" }, [typeOf(schema)])];
    var n = notes(schema);
    if (n) head.push(" ", el("span", { "class": "note" }, [n]));
    if (resolve(schema).additionalProperties === false) head.push(" ", el("span", { "class": "note" }, ["(no other fields)"]));
    return el("div", { "class": "schema" }, head.concat([children(schema, 0) || ""]));
  }

  function operation(path, method, op) {
    var body = el("div", { "class": "op-body" }, []);
    if (op.description) body.appendChild(el("p", {}, [op.description]));
    if (op.parameters && op.parameters.length) {
      body.appendChild(el("h4", {}, ["Parameters"]));
      body.appendChild(el("table", {}, [el("tr", {}, ["Name", "In", "Type", "Notes"].map(function (h) { return el("th", {}, [h]); }))]
        .concat(op.parameters.map(function (p) {
          return el("tr", {}, [el("td", {}, [el("code", {}, [p.name]), p.required ? " *" : ""]), el("td", {}, [p["in"]]),
            el("td", {}, [typeOf(p.schema)]), el("td", {}, [notes(p.schema)])]);
        }))));
    }
    if (op.requestBody) {
      body.appendChild(el("h4", {}, ["Request body (" + Object.keys(op.requestBody.content).join(", ") + ")"]));
      var first = op.requestBody.content[Object.keys(op.requestBody.content)[0]];
      body.appendChild(schemaBlock(first.schema));
    }
    body.appendChild(el("h4", {}, ["Answers"]));
    Object.keys(op.responses).sort().forEach(function (status) {
      var r = op.responses[status];
      body.appendChild(el("p", {}, [el("span", { "class": "status" }, [status]), " " + (r.description || "") +
        (r.content ? " — " + Object.keys(r.content).join(", ") : "")]));
      var json = r.content && r.content["application/json"];
      if (json && json.schema) body.appendChild(schemaBlock(json.schema));
    });
    var id = op.operationId || (method + path);
    var head = el("summary", {}, [el("span", { "class": "method " + method }, [method.toUpperCase()]),
      el("span", { "class": "path" }, [path]), el("span", { "class": "summary" }, [op.summary || ""]),
      el("span", { "class": "lock" }, [op.security ? "key" : "no key"])]);
    return el("details", { "class": "op", id: id }, [head, body]);
  }

  function render() {
    document.getElementById("intro").textContent = (doc.info && doc.info.description) || "";
    var byTag = {};
    Object.keys(doc.paths).sort().forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push([path, method, op]);
      });
    });
    var main = document.getElementById("operations");
    var toc = el("ul", {}, []);
    Object.keys(byTag).sort().forEach(function (tag) {
      main.appendChild(el("h2", { id: "tag-" + tag }, [tag]));
      byTag[tag].forEach(function (entry) {
        main.appendChild(operation(entry[0], entry[1], entry[2]));
        var id = entry[2].operationId || (entry[1] + entry[0]);
        toc.appendChild(el("li", {}, [el("a", { href: "#" + id }, [entry[1].toUpperCase() + " " + entry[0]])]));
      });
    });
    document.getElementById("toc").appendChild(toc);
  }

  fetch("openapi.json").then(function (r) { return r.json(); }).then(function (d) { doc = d; render(); })
    .catch(function (e) { document.getElementById("intro").textContent = "Could not load openapi.json: " + e; });
})();
