/* Settings → Secret API Keys: dialogs, the actions menu, notices and copying.
   Everything here enhances pages that already work without it. */
(function () {
  "use strict";

  var TOAST_MS = 5000;
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
    // A notice of an earlier action would sit, unreadable, under the backdrop.
    clearToasts();
    dialog.addEventListener("close", function () { dialogClosed(dialog); });
    dialog.addEventListener("cancel", function (event) {
      if (!mayClose(dialog)) event.preventDefault();
    });
    dialog.addEventListener("copy", function () { copied(dialog); });
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

  /* Notices: one at a time, shown for a few seconds (longer while hovered or
     focused). The text is announced by a separate live region, so the
     Dismiss button is never part of what is read out. */
  function announce(message) {
    var region = document.getElementById("sk-announcer");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so the same message twice is read twice.
    setTimeout(function () { region.textContent = message; }, 50);
  }

  function clearToasts() {
    document.querySelectorAll("#sk-toasts .sk-toast").forEach(function (toast) { toast.remove(); });
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
    var timer = null;
    function later() { timer = setTimeout(function () { toast.remove(); }, TOAST_MS); }
    function hold() { clearTimeout(timer); }
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("mouseleave", later);
    toast.addEventListener("focusout", later);
    later();
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
    var stack = document.getElementById("sk-toasts");
    if (!stack || !message) return;
    clearToasts();
    var toast = document.createElement("div");
    toast.className = "sk-toast" + (isError ? " sk-toast--error" : "");
    toast.innerHTML = isError ? ICONS.error : ICONS.done;
    var text = document.createElement("span");
    text.className = "sk-toast-text";
    text.textContent = message;
    toast.appendChild(text);
    stack.appendChild(toast);
    setUpToast(toast);
    announce(message);
  }

  /* Copy the new key (or a line made with it), and say so. */
  function copy(button) {
    var text = button.getAttribute("data-sk-copy");
    var body = button.closest("[data-sk-reveal]") || button.closest(".sk-dialog-body, .sk-card");
    var status = body.querySelector("[data-sk-copy-status]");
    var label = button.querySelector("[data-sk-copy-label]");
    var field = body.querySelector("[data-sk-select]");
    var name = button.getAttribute("data-sk-copy-name") || label.textContent;
    button.setAttribute("data-sk-copy-name", name);
    function done(ok) {
      if (ok) {
        copied(button.closest("dialog"));
        // Only the last button used says "Copied".
        body.querySelectorAll("[data-sk-copied]").forEach(function (other) {
          other.removeAttribute("data-sk-copied");
          other.querySelector("[data-sk-copy-label]").textContent = other.getAttribute("data-sk-copy-name");
        });
        label.textContent = "Copied";
        button.setAttribute("data-sk-copied", "");
        status.textContent = "Copied to the clipboard.";
        clearTimeout(button.skCopiedTimer);
        button.skCopiedTimer = setTimeout(function () {
          label.textContent = name;
          button.removeAttribute("data-sk-copied");
        }, 2500);
      } else {
        field.focus();
        field.select();
        status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected key.";
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      var scratch = document.createElement("textarea");
      scratch.value = text;
      scratch.setAttribute("readonly", "");
      scratch.className = "sk-visually-hidden";
      body.appendChild(scratch);
      scratch.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
      scratch.remove();
      done(ok);
    }
  }

  /* The reveal asks once before it closes with the key not copied. */
  function copied(dialog) {
    if (!dialog) return;
    dialog.setAttribute("data-sk-copied", "");
    var check = dialog.querySelector("[data-sk-close-check]");
    if (check) check.textContent = "";
    var done = dialog.querySelector("[data-sk-done]");
    if (done) done.textContent = "Done";
  }

  function mayClose(dialog) {
    if (!dialog.querySelector("[data-sk-reveal]")) return true;
    if (dialog.hasAttribute("data-sk-copied") || dialog.hasAttribute("data-sk-asked")) return true;
    dialog.setAttribute("data-sk-asked", "");
    var check = dialog.querySelector("[data-sk-close-check]");
    check.textContent = "You haven’t copied the key, and it can’t be shown again. " +
      "Copy it first, or close again to leave without it.";
    var done = dialog.querySelector("[data-sk-done]");
    if (done) done.textContent = "Close without copying";
    return false;
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
    scope.querySelectorAll("[data-sk-copy-actions], [data-sk-shortcuts]").forEach(function (element) {
      element.hidden = false;
    });
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
      if (mayClose(dialog)) dialog.close();
    }
  });

  /* htmx wiring: where focus goes back to, which answers to swap, notices. */
  // The sort header or page link that asked for new results, to focus its
  // counterpart once they are in: the link itself is replaced.
  var focusKey = null;
  // The key title shown in the browser tab, to follow an in-place rename.
  var shownTitle = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (inRoot(element) && !element.closest("dialog") && !element.closest("[data-sk-menu]")) opener = element;
    focusKey = element.getAttribute && element.getAttribute("data-sk-focus-key");
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

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "sk-results" && target.isConnected && focusKey) {
      var lost = !document.activeElement || document.activeElement === document.body ||
        !document.activeElement.isConnected;
      if (lost) {
        var next = target.querySelector('[data-sk-focus-key="' + focusKey + '"]') ||
          target.querySelector(".sk-pagination [aria-current]") || target.querySelector(".sk-sort");
        if (next) next.focus();
      }
      focusKey = null;
    }
    var key = document.getElementById("sk-key");
    if (key) {
      var title = key.getAttribute("data-sk-page-title");
      if (shownTitle !== null && title !== shownTitle) {
        document.title = document.title.indexOf(shownTitle) >= 0 ? document.title.replace(shownTitle, title) : title;
      }
      shownTitle = title;
    }
  });

  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });

  /* The list's form follows the URL when Back or Forward restores a snapshot:
     a snapshot keeps the fields' values from when the page was loaded. */
  function syncListForm() {
    var form = document.getElementById("sk-list");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    form.querySelectorAll("input[name], select[name]").forEach(function (field) {
      if (field.type === "hidden") return;
      field.value = params.get(field.name) || field.getAttribute("data-sk-default") || "";
    });
    var dates = form.querySelector("details.sk-dates");
    if (dates && (params.get("created_from") || params.get("created_to"))) dates.open = true;
  }

  // The snapshot's text fields carry the values of the URL it is saved for,
  // so htmx's "changed" check starts from them once it is restored. (Setting
  // the attribute leaves a field the user has typed into as it is.)
  document.addEventListener("htmx:beforeHistorySave", function (event) {
    var form = document.getElementById("sk-list");
    var path = event.detail && event.detail.path;
    if (!form || typeof path !== "string") return;
    var params = new URLSearchParams(path.split("?")[1] || "");
    form.querySelectorAll("input[name]:not([type=hidden])").forEach(function (field) {
      field.setAttribute("value", params.get(field.name) || "");
    });
  });

  document.addEventListener("htmx:historyRestore", function () {
    clearToasts();
    syncListForm();
    enhance(document);
  });

  /* A whole key typed into the search box is not searched: it would land in
     the URL, the browser history and the server's access log. */
  function secretInSearch(form, value) {
    var pattern = form && form.getAttribute("data-sk-secret-pattern");
    return Boolean(pattern && value && new RegExp(pattern).test(value));
  }

  function warnOfSecret(form, show) {
    var warning = form.querySelector("[data-sk-secret-warning]");
    var search = form.querySelector("#sk-q");
    if (!warning || !search) return;
    warning.hidden = !show;
    if (show) search.setAttribute("aria-describedby", warning.id);
    else search.removeAttribute("aria-describedby");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    var data = event.detail.formData;
    if (event.detail.verb !== "get" || !inRoot(element) || !data) return;
    var form = element.closest("form") || element;
    if (form.id === "sk-list") {
      var secret = secretInSearch(form, data.get("q"));
      warnOfSecret(form, secret);
      if (secret) {
        event.preventDefault();
        return;
      }
    }
    // Keep list URLs short: leave out empty filters and default values.
    Array.from(data.keys()).forEach(function (name) {
      if (data.get(name) === "") data.delete(name);
    });
    form.querySelectorAll("[data-sk-default]").forEach(function (field) {
      if (data.get(field.name) === field.getAttribute("data-sk-default")) data.delete(field.name);
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !inRoot(form)) return;
    if (form.id === "sk-list") {
      var search = form.querySelector("#sk-q");
      var secret = secretInSearch(form, search && search.value);
      warnOfSecret(form, secret);
      if (secret) event.preventDefault();
      return;
    }
    // A second send of a form that is already on its way (a double click).
    if (form.method.toLowerCase() === "post") {
      if (form.hasAttribute("data-sk-sent")) event.preventDefault();
      else form.setAttribute("data-sk-sent", "");
    }
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-sk-sent]").forEach(function (form) { form.removeAttribute("data-sk-sent"); });
    }
  });

  /* "Identify a key" in the warning moves the typed key there. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href="#sk-identify-key"]');
    var field = document.getElementById("sk-identify-key");
    var search = document.getElementById("sk-q");
    if (!link || !field) return;
    event.preventDefault();
    if (search && secretInSearch(search.form, search.value)) {
      field.value = search.value;
      search.value = "";
      warnOfSecret(search.form, false);
    }
    field.focus();
  });

  /* Shortcuts on the list: "/" focuses the search box, "c" opens Create. */
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "/") {
      var search = document.getElementById("sk-q");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (event.key === "c") {
      var create = document.getElementById("sk-create");
      if (create) {
        event.preventDefault();
        create.click();
      }
    }
  });

  function failed(event) {
    if (inRoot(event.detail.elt)) {
      showToast("Something went wrong. Reload the page and try again.", true);
    }
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  document.addEventListener("sk-toast", function (event) { showToast(event.detail.message, false); });
  var key = document.getElementById("sk-key");
  if (key) shownTitle = key.getAttribute("data-sk-page-title");
  document.addEventListener("sk-done", closeOpenDialog);

  enhance(document);
})();
