// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  }
});

// Confirm destructive actions marked with data-confirm.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// htmx leaves the page as it was when a request fails (a 403, a 500, no
// network): say so instead of doing nothing.
function showRequestError(text) {
  const main = document.getElementById("main");
  if (!main) return;
  let box = document.getElementById("request-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "request-error";
    box.className = "messages";
    box.setAttribute("role", "alert");
    main.prepend(box);
  }
  const message = document.createElement("p");
  message.className = "message message-error";
  const label = document.createElement("strong");
  label.textContent = "Error:";
  message.append(label, " ", text);
  box.replaceChildren(message);
}

document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  showRequestError(
    status === 403
      ? "You are not allowed to do this."
      : "The change could not be saved (error " + status + "). Reload the page and try again."
  );
});

document.addEventListener("htmx:sendError", () => {
  showRequestError("The server could not be reached. Check your connection and try again.");
});

// A successful swap clears an earlier request error.
document.addEventListener("htmx:afterSwap", () => {
  const box = document.getElementById("request-error");
  if (box) box.remove();
});

// The menu (a <details>): browsers without ::details-content keep it open on wide
// screens, where its summary is hidden; Escape closes it on phones.
const wide = window.matchMedia("(min-width: 40.0625rem)");
function openMenuWhenWide() {
  const menu = document.querySelector(".navmenu");
  if (menu && wide.matches && !CSS.supports("selector(::details-content)")) menu.open = true;
}
openMenuWhenWide();
wide.addEventListener("change", openMenuWhenWide);

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const menu = event.target.closest && event.target.closest(".navmenu[open]");
  if (!menu) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});

// A page that comes back with form errors: take the keyboard and the screen reader
// to the error summary first.
const errorSummary = document.querySelector("main .form-errors");
if (errorSummary) {
  errorSummary.setAttribute("tabindex", "-1");
  errorSummary.focus();
}
