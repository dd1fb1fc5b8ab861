// @mentions in comment composers (forms with data-mentions="<suggestions url>").
// Typing "@" and part of a name lists matching colleagues (the server answers
// <li role="option"> rows); arrow keys move, Enter or Tab chooses, Escape closes.
// Choosing inserts "@Full Name" and a hidden "mentions" input with their membership
// id. Without this file the form still posts comments (without mentions).
(() => {
  const TOKEN = /(?:^|\s)@([^@\n]{0,40})$/;
  let timer = null;

  function parts(textarea) {
    const form = textarea.closest("form[data-mentions]");
    if (!form) return null;
    let list = form.querySelector(".mention-list");
    if (!list) {
      list = document.createElement("ul");
      list.className = "mention-list";
      list.id = textarea.id + "-mentions";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Colleagues to mention");
      list.hidden = true;
      const status = document.createElement("p");
      status.className = "visually-hidden mention-status";
      status.setAttribute("role", "status");
      textarea.after(list, status);
      textarea.setAttribute("aria-autocomplete", "list");
      textarea.setAttribute("aria-controls", list.id);
    }
    return { form, list, status: form.querySelector(".mention-status") };
  }

  function query(textarea) {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = before.match(TOKEN);
    return match ? match[1] : null;
  }

  function close(textarea, list) {
    list.hidden = true;
    list.replaceChildren();
    textarea.removeAttribute("aria-activedescendant");
  }

  function options(list) {
    return Array.from(list.querySelectorAll('[role="option"]'));
  }

  function activate(textarea, list, index) {
    const all = options(list);
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (all[index]) {
      textarea.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }
  }

  function choose(textarea, option) {
    const { form, list } = parts(textarea);
    const name = option.dataset.mentionName;
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret);
    const at = before.lastIndexOf("@");
    textarea.value = before.slice(0, at) + "@" + name + " " + textarea.value.slice(caret);
    const position = at + name.length + 2;
    textarea.setSelectionRange(position, position);
    const chosen = form.querySelector(".mention-chosen");
    const id = option.dataset.mentionId;
    if (!chosen.querySelector(`input[value="${CSS.escape(id)}"]`)) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "mentions";
      input.value = id;
      input.dataset.mentionName = name;
      chosen.append(input);
    }
    close(textarea, list);
    textarea.focus();
  }

  async function suggest(textarea) {
    const found = parts(textarea);
    if (!found) return;
    const { form, list, status } = found;
    const q = query(textarea);
    if (q === null || q.trim() === "") {
      close(textarea, list);
      return;
    }
    const url = new URL(form.dataset.mentions, window.location.href);
    url.searchParams.set("q", q.trim());
    let html = "";
    try {
      const response = await fetch(url, { headers: { "HX-Request": "true" } });
      if (!response.ok) return;
      html = await response.text();
    } catch {
      return;
    }
    if (query(textarea) !== q) return; // typed on meanwhile
    const doc = new DOMParser().parseFromString(`<ul>${html}</ul>`, "text/html");
    list.replaceChildren(...doc.querySelectorAll('li[role="option"]'));
    const count = options(list).length;
    list.hidden = count === 0;
    status.textContent = count
      ? `${count} colleague${count === 1 ? "" : "s"} found; use the up and down arrows, then Enter.`
      : "No colleague found.";
    if (count) activate(textarea, list, 0);
  }

  document.addEventListener("input", (event) => {
    const textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement) || !textarea.closest("form[data-mentions]")) return;
    clearTimeout(timer);
    timer = setTimeout(() => suggest(textarea), 150);
  });

  document.addEventListener("keydown", (event) => {
    const textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement)) return;
    const found = parts(textarea);
    if (!found || found.list.hidden) return;
    const all = options(found.list);
    const current = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      activate(textarea, found.list, (current + step + all.length) % all.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && all[current]) {
      event.preventDefault();
      choose(textarea, all[current]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(textarea, found.list);
    }
  });

  document.addEventListener("mousedown", (event) => {
    const option = event.target.closest(".mention-list [role='option']");
    if (!option) return;
    event.preventDefault(); // keep the focus in the text
    const textarea = option.closest("form").querySelector("textarea");
    choose(textarea, option);
  });

  // A person whose "@Name" was deleted from the text is not mentioned.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!form.matches("form[data-mentions]")) return;
      const text = form.querySelector("textarea").value;
      form.querySelectorAll(".mention-chosen input[name='mentions']").forEach((input) => {
        if (!text.includes("@" + input.dataset.mentionName)) input.remove();
      });
    },
    true,
  );
  // htmx posts on its own "submit" handling: prune before it reads the form too.
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-mentions]")) return;
    const text = form.querySelector("textarea").value;
    const keep = Array.from(form.querySelectorAll(".mention-chosen input[name='mentions']"))
      .filter((input) => text.includes("@" + input.dataset.mentionName))
      .map((input) => input.value);
    if (event.detail.formData) {
      event.detail.formData.delete("mentions");
      keep.forEach((id) => event.detail.formData.append("mentions", id));
    }
  });
})();
