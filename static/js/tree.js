// Keyboard support for the goal tree (WAI-ARIA tree pattern, roving tabindex).
// Without this file the tree is plain links that open and close branches by URL.
(() => {
  "use strict";

  const ITEM = '[role="treeitem"]';

  function groupOf(item) {
    const id = item.getAttribute("aria-owns");
    return id ? document.getElementById(id) : null;
  }

  function rowOf(item) {
    return item.closest(".node-row");
  }

  function visibleItems(tree) {
    return Array.from(tree.querySelectorAll(ITEM)).filter(
      (item) => !item.closest('[role="group"][hidden]')
    );
  }

  function parentItem(item) {
    const list = item.closest("li").parentElement;
    if (!list || list.getAttribute("role") !== "group") return null;
    return document.querySelector(`[aria-owns="${list.id}"]`);
  }

  function setLabel(item, open) {
    const toggle = rowOf(item).querySelector(".toggle .visually-hidden");
    if (toggle) toggle.textContent = `${open ? "Close" : "Open"} ${item.textContent.trim()}`;
  }

  function show(item, open) {
    const group = groupOf(item);
    if (!group) return;
    group.hidden = !open;
    item.setAttribute("aria-expanded", String(open));
    setLabel(item, open);
    if (!open && group.contains(document.activeElement)) focusItem(item);
  }

  function focusItem(item) {
    const tree = item.closest('[role="tree"]');
    tree.querySelectorAll(`${ITEM}[tabindex="0"]`).forEach((other) => {
      if (other !== item) other.setAttribute("tabindex", "-1");
    });
    item.setAttribute("tabindex", "0");
    item.focus();
  }

  // Arrow keys replace the tree's inner links for keyboard users, so the tree is one tab stop.
  function prepare(root) {
    root.querySelectorAll('[role="tree"]').forEach((tree) => {
      tree.querySelectorAll(".toggle, .expand-all").forEach((link) => {
        link.setAttribute("tabindex", "-1");
        link.setAttribute("aria-hidden", "true");
      });
      tree.querySelectorAll(".node-meta").forEach((meta) => meta.setAttribute("aria-hidden", "true"));
      const items = Array.from(tree.querySelectorAll(ITEM));
      const current = items.find((item) => item.getAttribute("tabindex") === "0") || items[0];
      items.forEach((item) => item.setAttribute("tabindex", item === current ? "0" : "-1"));
    });
  }

  function expand(item) {
    const group = groupOf(item);
    if (!group || item.getAttribute("aria-expanded") === "true") return;
    if (group.children.length) {
      show(item, true);
    } else {
      const toggle = rowOf(item).querySelector(".toggle");
      if (toggle) toggle.click();
    }
  }

  document.addEventListener(
    "click",
    (event) => {
      const toggle = event.target.closest(".goal-tree .toggle");
      if (!toggle) return;
      const item = rowOf(toggle).querySelector(ITEM);
      const group = groupOf(item);
      // Loaded branches open and close here; unloaded ones go on to htmx (or the link).
      if (group && group.children.length) {
        event.preventDefault();
        event.stopPropagation();
        show(item, item.getAttribute("aria-expanded") !== "true");
      }
    },
    true
  );

  document.addEventListener("keydown", (event) => {
    const item = event.target.closest && event.target.closest(`.goal-tree ${ITEM}`);
    if (!item || event.altKey || event.ctrlKey || event.metaKey) return;
    const tree = item.closest('[role="tree"]');
    const items = visibleItems(tree);
    const index = items.indexOf(item);
    const expanded = item.getAttribute("aria-expanded");
    let handled = true;
    switch (event.key) {
      case "ArrowDown":
        if (index < items.length - 1) focusItem(items[index + 1]);
        break;
      case "ArrowUp":
        if (index > 0) focusItem(items[index - 1]);
        break;
      case "ArrowRight":
        if (expanded === "false") expand(item);
        else if (expanded === "true") {
          const first = groupOf(item).querySelector(ITEM);
          if (first) focusItem(first);
        }
        break;
      case "ArrowLeft":
        if (expanded === "true") show(item, false);
        else {
          const parent = parentItem(item);
          if (parent) focusItem(parent);
        }
        break;
      case "Home":
        focusItem(items[0]);
        break;
      case "End":
        focusItem(items[items.length - 1]);
        break;
      case "*": {
        const all = rowOf(item).querySelector(".expand-all");
        if (all) all.click();
        break;
      }
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("focusin", (event) => {
    const item = event.target.closest && event.target.closest(`.goal-tree ${ITEM}`);
    if (item && item.getAttribute("tabindex") !== "0") focusItem(item);
  });

  // A branch loaded by htmx: open it and fit its items into the keyboard order.
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.getAttribute("role") === "group") {
      // Wire up the new links now, not after htmx's settle step, so an
      // immediate click or arrow key on a new item loads its children.
      if (window.htmx) window.htmx.process(target);
      const item = document.querySelector(`[aria-owns="${target.id}"]`);
      if (item) show(item, true);
    }
    prepare(document);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => prepare(document));
  } else {
    prepare(document);
  }
})();
