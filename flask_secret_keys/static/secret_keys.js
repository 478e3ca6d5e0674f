/* Settings → Secret API Keys: dialogs, the actions menu, notices and copying.
   Everything here enhances pages that already work without it. */
(function () {
  "use strict";

  var TOAST_MS = 8000;
  // The element to give focus back to when the open dialog closes.
  var opener = null;

  function skRoot() {
    return document.getElementById("sk-root");
  }

  function inRoot(element) {
    return element && element.closest && element.closest("#sk-root");
  }

  /* Dialogs arrive from the server closed; open them as modals. */
  function openDialog(dialog) {
    if (dialog.open || !dialog.isConnected) return;
    dialog.addEventListener("close", function () { dialogClosed(dialog); });
    dialog.addEventListener("click", function (event) {
      // A click on the backdrop of the side panel closes it.
      if (event.target === dialog && dialog.classList.contains("sk-dialog--panel")) dialog.close();
    });
    dialog.showModal();
    var select = dialog.querySelector("[data-sk-select]");
    if (select) select.select();
  }

  function dialogClosed(dialog) {
    if (!dialog.isConnected) return;
    var href = dialog.getAttribute("data-sk-close-href");
    if (href) {
      window.location.assign(href);
      return;
    }
    dialog.remove();
    var target = opener;
    if (target && !target.isConnected && target.id) target = document.getElementById(target.id);
    if (target && target.isConnected) target.focus();
  }

  function closeOpenDialog() {
    var dialog = document.querySelector("#sk-root dialog[data-sk-dialog][open]");
    if (dialog) dialog.close();
  }

  /* The ⋮ menu: a button that opens a menu of links, driven from the keyboard too. */
  function setUpMenu(wrap) {
    if (wrap.hasAttribute("data-sk-ready")) return;
    wrap.setAttribute("data-sk-ready", "");
    var button = wrap.querySelector("[aria-haspopup='menu']");
    var list = wrap.querySelector(".sk-actions");
    list.classList.add("sk-menu");
    list.setAttribute("role", "menu");
    list.removeAttribute("aria-label");
    list.setAttribute("aria-labelledby", button.id);
    list.hidden = true;
    Array.prototype.forEach.call(list.children, function (li) { li.setAttribute("role", "none"); });
    var items = Array.prototype.slice.call(list.querySelectorAll(".sk-action"));
    items.forEach(function (item) {
      item.setAttribute("role", "menuitem");
      item.tabIndex = -1;
    });

    function open(index) {
      list.hidden = false;
      button.setAttribute("aria-expanded", "true");
      items[(index + items.length) % items.length].focus();
    }
    function close(refocus) {
      if (list.hidden) return;
      list.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
    function move(step) {
      var index = items.indexOf(document.activeElement);
      items[(index + step + items.length) % items.length].focus();
    }

    button.addEventListener("click", function () {
      if (list.hidden) open(0); else close(true);
    });
    button.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); open(0); }
      if (event.key === "ArrowUp") { event.preventDefault(); open(-1); }
    });
    list.addEventListener("keydown", function (event) {
      switch (event.key) {
        case "ArrowDown": event.preventDefault(); move(1); break;
        case "ArrowUp": event.preventDefault(); move(-1); break;
        case "Home": event.preventDefault(); items[0].focus(); break;
        case "End": event.preventDefault(); items[items.length - 1].focus(); break;
        case "Escape": event.preventDefault(); close(true); break;
        case "Tab": close(false); break;
        case " ":
          if (document.activeElement.tagName === "A") { event.preventDefault(); document.activeElement.click(); }
          break;
      }
    });
    list.addEventListener("click", function (event) {
      var item = event.target.closest(".sk-action");
      if (!item) return;
      if (item.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        return;
      }
      opener = button;
      close(false);
    });
    document.addEventListener("click", function (event) {
      if (!wrap.contains(event.target)) close(false);
    });
  }

  /* Notices, announced by the aria-live region they are added to. */
  function dismissLater(toast) {
    setTimeout(function () { toast.remove(); }, TOAST_MS);
  }

  function setUpToast(toast) {
    if (toast.hasAttribute("data-sk-ready")) return;
    toast.setAttribute("data-sk-ready", "");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "sk-toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(close);
    dismissLater(toast);
  }

  var ICONS = {
    done: '<svg class="sk-toast-icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">' +
      '<circle cx="10" cy="10" r="8" fill="currentColor" opacity=".15"/><path d="M6.5 10.3l2.3 2.2 4.7-5" ' +
      'fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    error: '<svg class="sk-toast-icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">' +
      '<circle cx="10" cy="10" r="8" fill="currentColor" opacity=".15"/><path d="M10 6v5M10 13.5v.5" ' +
      'stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>'
  };

  function showToast(message, isError) {
    var region = document.getElementById("sk-toasts");
    if (!region || !message) return;
    var toast = document.createElement("div");
    toast.className = "sk-toast" + (isError ? " sk-toast--error" : "");
    toast.innerHTML = isError ? ICONS.error : ICONS.done;
    var text = document.createElement("span");
    text.className = "sk-toast-text";
    text.textContent = message;
    toast.appendChild(text);
    region.appendChild(toast);
    setUpToast(toast);
  }

  /* Copy the new key, and say so. */
  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-sk-copy"));
    var status = button.closest(".sk-dialog-body, .sk-card").querySelector("[data-sk-copy-status]");
    var label = button.querySelector("[data-sk-copy-label]");
    function done(ok) {
      if (ok) {
        label.textContent = "Copied";
        button.setAttribute("data-sk-copied", "");
        status.textContent = "Copied to the clipboard.";
        setTimeout(function () {
          label.textContent = "Copy";
          button.removeAttribute("data-sk-copied");
        }, 2500);
      } else {
        input.focus();
        input.select();
        status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected key.";
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
    } else {
      input.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
      done(ok);
    }
  }

  function enhance(scope) {
    var root = skRoot();
    if (root) {
      root.classList.add("sk-js");
      if (window.htmx) root.classList.add("sk-htmx");
    }
    if (scope.matches && scope.matches("dialog[data-sk-dialog]")) openDialog(scope);
    scope.querySelectorAll("dialog[data-sk-dialog]").forEach(openDialog);
    scope.querySelectorAll("[data-sk-menu]").forEach(setUpMenu);
    scope.querySelectorAll(".sk-toast").forEach(setUpToast);
    scope.querySelectorAll("[data-sk-copy]").forEach(function (button) { button.hidden = false; });
    scope.querySelectorAll("select[name=expiration]").forEach(showCustomDate);
  }

  /* The custom expiry date is asked for only when "Custom date" is chosen;
     without JavaScript both fields show, and the date is used with that choice. */
  function showCustomDate(select) {
    var form = select.closest("form");
    var field = form && form.querySelector("[data-sk-custom-date]");
    if (field) field.hidden = select.value !== "custom";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name=expiration]")) showCustomDate(event.target);
  });

  document.addEventListener("click", function (event) {
    var copyButton = event.target.closest("[data-sk-copy]");
    if (copyButton) {
      copy(copyButton);
      return;
    }
    var dismiss = event.target.closest("[data-sk-dismiss]");
    var dialog = dismiss && dismiss.closest("dialog");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  });

  /* htmx wiring: where focus goes back to, which answers to swap, notices. */
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (inRoot(element) && !element.closest("dialog") && !element.closest("[data-sk-menu]")) opener = element;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    // Validation errors (422) and refused actions (409) come with content to show.
    if ((status === 422 || status === 409) && inRoot(event.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    var target = event.detail.target;
    if (target && target.matches && target.matches("dialog[open]")) {
      // The dialog is being replaced by its next state; keep it from animating again.
      event.detail.serverResponse = event.detail.serverResponse.replace("<dialog ", "<dialog data-sk-reopened ");
    }
  });

  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });

  document.addEventListener("htmx:configRequest", function (event) {
    // Keep list URLs short: leave out empty filters and default values.
    var element = event.detail.elt;
    var data = event.detail.formData;
    if (event.detail.verb !== "get" || !inRoot(element) || !data) return;
    Array.from(data.keys()).forEach(function (name) {
      if (data.get(name) === "") data.delete(name);
    });
    element.querySelectorAll("[data-sk-default]").forEach(function (field) {
      if (data.get(field.name) === field.getAttribute("data-sk-default")) data.delete(field.name);
    });
  });

  function failed(event) {
    if (inRoot(event.detail.elt)) {
      showToast("Something went wrong. Reload the page and try again.", true);
    }
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  document.addEventListener("sk-toast", function (event) { showToast(event.detail.message, false); });
  document.addEventListener("sk-done", closeOpenDialog);

  enhance(document);
})();
