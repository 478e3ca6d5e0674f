/* Settings → Secret API Keys: dialogs, the actions menu, notices and copying.
   Everything here enhances pages that already work without it. Events are
   handled on the document (one handler per event type), so content htmx swaps
   in needs no listeners of its own: enhance() only opens dialogs and sets
   attributes. */
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

  /* The sentences the script shows, in the language of the page: rendered into it
     as JSON by _assets.html, read once; English where a page has none (a host's own
     _assets.html). ``%(name)s`` placeholders are filled in from ``values``. */
  var ENGLISH = {
    copied: "Copied",
    copiedStatus: "Copied to the clipboard.",
    copyByHand: "Press Ctrl+C (or ⌘C) to copy the selected key.",
    notCopied: "You haven’t copied the key, and it can’t be shown again. " +
      "Copy it first, or close again to leave without it.",
    closeWithoutCopying: "Close without copying",
    done: "Done",
    localExpiry: "The key stops working on %(local_time)s your time (00:00 UTC on %(date)s).",
    characters: "%(used)s of %(limit)s characters",
    failed: "Something went wrong. Reload the page and try again.",
    dismiss: "Dismiss"
  };
  var messages = null;

  function sentence(name, values) {
    if (messages === null) {
      var element = document.getElementById("sk-messages");
      try {
        messages = (element && JSON.parse(element.textContent)) || {};
      } catch (error) {
        messages = {};
      }
    }
    var message = typeof messages[name] === "string" ? messages[name] : ENGLISH[name];
    return message.replace(/%(?:\((\w+)\)s|%)/g, function (whole, key) {
      if (key === undefined) return "%";
      return values && key in values ? String(values[key]) : whole;
    });
  }

  // The language of the pages' sentences, for the dates and numbers the script writes.
  function pageLanguage() {
    var root = skRoot();
    return (root && root.lang) || document.documentElement.lang || undefined;
  }

  /* Dialogs arrive from the server closed; open them as modals. */
  function openDialog(dialog) {
    if (dialog.open || !dialog.isConnected) return;
    // A notice of an earlier action would sit, unreadable, under the backdrop.
    clearToasts();
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

  function isDialog(element) {
    return Boolean(element && element.matches && element.matches("dialog[data-sk-dialog]"));
  }

  // "close" and "cancel" do not bubble, so they are caught on their way down.
  document.addEventListener("close", function (event) {
    if (isDialog(event.target)) dialogClosed(event.target);
  }, true);
  document.addEventListener("cancel", function (event) {
    if (isDialog(event.target) && !mayClose(event.target)) event.preventDefault();
  }, true);
  document.addEventListener("copy", function (event) {
    var reveal = event.target.closest && event.target.closest("[data-sk-reveal]");
    if (reveal) copied(reveal);
  });

  /* Back, reload or closing the tab would lose a new key not yet copied: the
     browser asks first (unless the dialog has already asked). */
  window.addEventListener("beforeunload", function (event) {
    var reveal = document.querySelector("[data-sk-reveal]");
    if (!reveal || reveal.hasAttribute("data-sk-copied")) return;
    var dialog = reveal.closest("dialog");
    if (dialog && dialog.hasAttribute("data-sk-asked")) return;
    event.preventDefault();
    event.returnValue = "";
  });

  function closeOpenDialog() {
    var dialog = document.querySelector("#sk-root dialog[data-sk-dialog][open]");
    if (dialog) dialog.close();
  }

  /* The ⋮ menu: a button that opens a menu of links, driven from the keyboard too.
     setUpMenu turns the list of links into a menu; the handlers below drive it. */
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
    list.querySelectorAll(".sk-action").forEach(function (item) {
      item.setAttribute("role", "menuitem");
      item.tabIndex = -1;
    });
  }

  /* The parts of the set-up menu ``element`` is in, or null. */
  function menuOf(element) {
    var wrap = element && element.closest && element.closest("[data-sk-menu][data-sk-ready]");
    if (!wrap) return null;
    var list = wrap.querySelector(".sk-menu");
    return {
      wrap: wrap,
      button: wrap.querySelector("[aria-haspopup='menu']"),
      list: list,
      items: Array.prototype.slice.call(list.querySelectorAll(".sk-action"))
    };
  }

  function openMenu(menu, index) {
    menu.list.hidden = false;
    menu.button.setAttribute("aria-expanded", "true");
    if (menu.wrap.classList.contains("sk-menu-wrap--row")) placeRowMenu(menu);
    menu.items[(index + menu.items.length) % menu.items.length].focus();
  }

  /* A row's menu is fixed to the window, by its button, so the table's scrolling
     box does not clip it: below the button, or above it where there is no room.
     Its inline end lines up with the button's (the right, or the left where the
     text runs right to left), or, where that leaves no room for it (a phone's
     card has its button at the start), its inline start with the button's;
     either way it stays 8 pixels inside the window. */
  function placeRowMenu(menu) {
    var rect = menu.button.getBoundingClientRect();
    var list = menu.list;
    var width = document.documentElement.clientWidth;
    var rtl = getComputedStyle(list).direction === "rtl";
    // Distances from the window's inline-end edge: of the button's two edges,
    // then of the menu's inline end.
    var buttonEnd = rtl ? rect.left : width - rect.right;
    var buttonStart = rtl ? rect.right : width - rect.left;
    var size = list.offsetWidth;
    var end = buttonEnd + size <= width - 8 ? buttonEnd : buttonStart - size;
    list.style.insetInlineEnd = Math.max(8, Math.min(end, width - 8 - size)) + "px";
    var height = list.offsetHeight;
    var below = rect.bottom + 6;
    var fits = below + height <= window.innerHeight || rect.top - 6 - height < 0;
    list.style.top = (fits ? below : rect.top - 6 - height) + "px";
  }

  // When the page or the table scrolls, an open row menu follows its button, and
  // closes once the button is out of sight.
  function followRowMenus() {
    document.querySelectorAll(".sk-menu-wrap--row[data-sk-ready]").forEach(function (wrap) {
      var menu = menuOf(wrap);
      if (menu.list.hidden) return;
      var rect = menu.button.getBoundingClientRect();
      if (rect.bottom < 0 || rect.top > window.innerHeight) {
        closeMenu(menu, false);
      } else {
        placeRowMenu(menu);
      }
    });
  }
  document.addEventListener("scroll", followRowMenus, true);
  window.addEventListener("resize", followRowMenus);

  function closeMenu(menu, refocus) {
    if (menu.list.hidden) return;
    menu.list.hidden = true;
    menu.button.setAttribute("aria-expanded", "false");
    if (refocus) menu.button.focus();
  }

  function moveInMenu(menu, step) {
    var index = menu.items.indexOf(document.activeElement);
    menu.items[(index + step + menu.items.length) % menu.items.length].focus();
  }

  /* A click: on a menu's button or item, or anywhere (which closes the menus it is not in). */
  function menuClick(event) {
    var menu = menuOf(event.target);
    document.querySelectorAll("[data-sk-menu][data-sk-ready]").forEach(function (wrap) {
      if (!wrap.contains(event.target)) closeMenu(menuOf(wrap), false);
    });
    if (!menu) return;
    if (menu.button.contains(event.target)) {
      if (menu.list.hidden) openMenu(menu, 0); else closeMenu(menu, true);
      return;
    }
    var item = event.target.closest(".sk-action");
    if (!item || !menu.list.contains(item)) return;
    if (item.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      return;
    }
    opener = menu.button;
    closeMenu(menu, false);
  }

  /* A key pressed on a menu's button or in its list. */
  function menuKey(event) {
    var menu = menuOf(event.target);
    if (!menu) return;
    if (menu.button.contains(event.target)) {
      if (event.key === "ArrowDown") { event.preventDefault(); openMenu(menu, 0); }
      if (event.key === "ArrowUp") { event.preventDefault(); openMenu(menu, -1); }
      return;
    }
    if (!menu.list.contains(event.target)) return;
    switch (event.key) {
      case "ArrowDown": event.preventDefault(); moveInMenu(menu, 1); break;
      case "ArrowUp": event.preventDefault(); moveInMenu(menu, -1); break;
      case "Home": event.preventDefault(); menu.items[0].focus(); break;
      case "End": event.preventDefault(); menu.items[menu.items.length - 1].focus(); break;
      case "Escape": event.preventDefault(); closeMenu(menu, true); break;
      case "Tab": closeMenu(menu, false); break;
      case " ":
        if (document.activeElement.tagName === "A") { event.preventDefault(); document.activeElement.click(); }
        break;
    }
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
    close.setAttribute("aria-label", sentence("dismiss"));
    close.textContent = "×";
    toast.appendChild(close);
    if (!toast.contains(document.activeElement)) removeLater(toast);
  }

  function removeLater(toast) {
    clearTimeout(toast.skTimer);
    toast.skTimer = setTimeout(function () { toast.remove(); }, TOAST_MS);
  }

  // A notice stays while the pointer or the focus is on it, and leaves a while after.
  function toastOf(event) {
    return event.target.closest && event.target.closest(".sk-toast[data-sk-ready]");
  }
  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var toast = toastOf(event);
      if (toast) clearTimeout(toast.skTimer);
    });
  });
  ["mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var toast = toastOf(event);
      if (toast && !toast.contains(event.relatedTarget)) removeLater(toast);
    });
  });

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
        copied(button.closest("[data-sk-reveal]"));
        // Only the last button used says "Copied".
        body.querySelectorAll("[data-sk-copied]").forEach(function (other) {
          other.removeAttribute("data-sk-copied");
          other.querySelector("[data-sk-copy-label]").textContent = other.getAttribute("data-sk-copy-name");
        });
        label.textContent = sentence("copied");
        button.setAttribute("data-sk-copied", "");
        status.textContent = sentence("copiedStatus");
        clearTimeout(button.skCopiedTimer);
        button.skCopiedTimer = setTimeout(function () {
          label.textContent = name;
          button.removeAttribute("data-sk-copied");
        }, 2500);
      } else {
        field.focus();
        field.select();
        status.textContent = sentence("copyByHand");
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
  function copied(reveal) {
    if (!reveal) return;
    reveal.setAttribute("data-sk-copied", "");
    var frame = reveal.closest("dialog, .sk-card") || reveal;
    var check = frame.querySelector("[data-sk-close-check]");
    if (check) check.textContent = "";
    var done = frame.querySelector("[data-sk-done]");
    if (done) done.textContent = sentence("done");
  }

  function mayClose(dialog) {
    var reveal = dialog.querySelector("[data-sk-reveal]");
    if (!reveal) return true;
    if (reveal.hasAttribute("data-sk-copied") || dialog.hasAttribute("data-sk-asked")) return true;
    dialog.setAttribute("data-sk-asked", "");
    var check = dialog.querySelector("[data-sk-close-check]");
    check.textContent = sentence("notCopied");
    var done = dialog.querySelector("[data-sk-done]");
    if (done) done.textContent = sentence("closeWithoutCopying");
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
    scope.querySelectorAll("[data-sk-without-script]").forEach(function (element) {
      element.hidden = true;
    });
    // The new key on a page of its own (htmx did not load) is selected, as in the dialog.
    scope.querySelectorAll("[data-sk-reveal] [data-sk-select]").forEach(function (field) {
      if (field.closest("dialog")) return;
      field.focus();
      field.select();
    });
    scope.querySelectorAll("select[name=expiration]").forEach(showCustomDate);
    scope.querySelectorAll("input[maxlength]").forEach(count);
  }

  /* The custom expiry date is asked for only when "Custom date" is chosen;
     without JavaScript both fields show, and the date is used with that choice.
     "No expiration" shows a warning in place of the hint (the stylesheet does),
     and the field is described by whichever shows. */
  function showCustomDate(select) {
    var form = select.closest("form");
    var field = form && form.querySelector("[data-sk-custom-date]");
    if (field) field.hidden = select.value !== "custom";
    var described = (select.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== "sk-never-warning" && id !== "sk-expiration-hint";
    });
    described.unshift(select.value === "never" ? "sk-never-warning" : "sk-expiration-hint");
    select.setAttribute("aria-describedby", described.join(" "));
    var date = form && form.querySelector("input[name=expires_on]");
    if (date) showExpiryTime(date);
  }

  /* The custom date's hint says when the key stops in the user's own time:
     it stops as the day begins in UTC. */
  function showExpiryTime(input) {
    var hint = input.form && input.form.querySelector("[data-sk-utc-midnight]");
    if (!hint) return;
    if (!hint.hasAttribute("data-sk-utc-text")) hint.setAttribute("data-sk-utc-text", hint.textContent);
    var day = /^\d{4}-\d{2}-\d{2}$/.test(input.value) ? new Date(input.value + "T00:00:00Z") : null;
    if (!day || isNaN(day.getTime())) {
      hint.textContent = hint.getAttribute("data-sk-utc-text");
      return;
    }
    var local = new Intl.DateTimeFormat(pageLanguage(), {dateStyle: "full", timeStyle: "short"}).format(day);
    hint.textContent = sentence("localExpiry", {local_time: local, date: input.value});
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name=expiration]")) showCustomDate(event.target);
  });
  document.addEventListener("input", function (event) {
    if (!event.target.matches) return;
    if (event.target.matches("input[name=expires_on]")) showExpiryTime(event.target);
    if (event.target.matches("input[maxlength]")) count(event.target);
  });

  /* "12 of 100 characters" under a field with a limit, as it is typed. */
  function count(input) {
    var counter = document.getElementById(input.id + "-count");
    if (!counter || !counter.hasAttribute("data-sk-count")) return;
    var limit = Number(counter.getAttribute("data-sk-count"));
    var used = input.value.length;
    var number = new Intl.NumberFormat(pageLanguage());
    counter.textContent = sentence("characters", {used: number.format(used), limit: number.format(limit)});
    if (used >= limit) counter.setAttribute("data-sk-full", ""); else counter.removeAttribute("data-sk-full");
  }


  /* htmx wiring: where focus goes back to, which answers to swap, notices. */
  // The sort header or page link that asked for new results, to focus its
  // counterpart once they are in: the link itself is replaced.
  var focusKey = null;
  // The same for a refresh of the list after a change made from a row's menu.
  var refreshFocusKey = null;
  // The key title shown in the browser tab, to follow an in-place rename.
  var shownTitle = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (inRoot(element) && !element.closest("dialog") && !element.closest("[data-sk-menu]") &&
      element.id !== "sk-results") opener = element;
    focusKey = (element.getAttribute && element.getAttribute("data-sk-focus-key")) || refreshFocusKey;
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
      // A status the menu does not offer (a hand-edited URL) shows as the default.
      if (field.tagName === "SELECT" && field.selectedIndex < 0) field.value = field.getAttribute("data-sk-default");
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

  /* One history entry per visit to a filter field: typing a date fires a change
     per keystroke, and the arrow keys on the Status menu one per step. The
     field's first change pushes an entry; later ones, until the field is left,
     replace it. */
  var FILTER_FIELDS = "#sk-status, #sk-created-from, #sk-created-to";
  var pushedBy = null;

  document.addEventListener("focusin", function (event) {
    if (event.target !== pushedBy) pushedBy = null;
  });

  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var history = event.detail.history;
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent && config.triggeringEvent.target;
    if (!history || history.type !== "push") return;
    var field = trigger && trigger.matches && trigger.matches(FILTER_FIELDS) ? trigger : null;
    if (field && field === pushedBy && document.activeElement === field) history.type = "replace";
    pushedBy = field;
  });

  document.addEventListener("htmx:historyRestore", function () {
    clearToasts();
    syncListForm();
    enhance(document);
  });

  /* The guard of the lists' search boxes: a whole key typed into one is not
     searched, as it would land in the URL, the browser history and the
     server's access log. True if ``value`` looks like a key; the list's
     warning (which points to Identify a key) shows while it does. */
  function guardSecret(form, value) {
    var pattern = form && form.getAttribute("data-sk-secret-pattern");
    var secret = Boolean(pattern && value && new RegExp(pattern).test(value));
    var warning = form && form.querySelector("[data-sk-secret-warning]");
    var search = form && form.querySelector("#sk-q");
    if (warning && search) {
      warning.hidden = !secret;
      if (secret) search.setAttribute("aria-describedby", warning.id);
      else search.removeAttribute("aria-describedby");
    }
    return secret;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    var data = event.detail.formData;
    if (event.detail.verb !== "get" || !inRoot(element) || !data) return;
    var form = element.closest("form") || element;
    if (form.id === "sk-list" && guardSecret(form, data.get("q"))) {
      event.preventDefault();
      return;
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
      if (guardSecret(form, search && search.value)) event.preventDefault();
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
  function identifyClick(event) {
    var field = document.getElementById("sk-identify-key");
    var search = document.getElementById("sk-q");
    if (!field) return;
    event.preventDefault();
    if (search && guardSecret(search.form, search.value)) {
      field.value = search.value;
      search.value = "";
      guardSecret(search.form, "");
    }
    field.focus();
  }

  /* Every click on the page: copy buttons, dismiss buttons, a side panel's
     backdrop, notices' Dismiss, the actions menu and the link to Identify. */
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    menuClick(event);
    var copyButton = target.closest("[data-sk-copy]");
    if (copyButton) {
      copy(copyButton);
      return;
    }
    var dismiss = target.closest("[data-sk-dismiss]");
    var dialog = dismiss && dismiss.closest("dialog");
    if (dialog) {
      event.preventDefault();
      if (mayClose(dialog)) dialog.close();
      return;
    }
    // A click on the backdrop of the side panel (the dialog itself) closes it.
    if (isDialog(target) && target.classList.contains("sk-dialog--panel")) {
      target.close();
      return;
    }
    var toastClose = target.closest(".sk-toast-close");
    if (toastClose) {
      toastClose.closest(".sk-toast").remove();
      return;
    }
    if (target.closest('a[href="#sk-identify-key"]')) identifyClick(event);
  });

  /* Every key pressed: the actions menu, then the list's shortcuts ("/" focuses
     the search box, "c" opens Create). */
  document.addEventListener("keydown", function (event) {
    menuKey(event);
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

  /* A request that failed: said inside the open dialog (a notice would sit under its
     backdrop), else as a notice. The form may be sent again. */
  function failed(event) {
    var element = event.detail.elt;
    if (!inRoot(element)) return;
    var message = sentence("failed");
    var form = element.closest && element.closest("form");
    if (form) form.removeAttribute("data-sk-sent");
    var dialog = document.querySelector("#sk-root dialog[data-sk-dialog][open]");
    if (!dialog) {
      showToast(message, true);
      return;
    }
    var error = dialog.querySelector("[data-sk-dialog-error]");
    if (!error) {
      error = document.createElement("p");
      error.className = "sk-dialog-error";
      error.setAttribute("role", "alert");
      error.setAttribute("data-sk-dialog-error", "");
      var header = dialog.querySelector(".sk-dialog-header");
      header.parentNode.insertBefore(error, header.nextSibling);
    }
    error.textContent = "";
    setTimeout(function () { error.textContent = message; }, 50);
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  document.addEventListener("sk-toast", function (event) { showToast(event.detail.message, false); });
  var key = document.getElementById("sk-key");
  if (key) shownTitle = key.getAttribute("data-sk-page-title");
  document.addEventListener("sk-done", closeOpenDialog);

  /* Keys changed from a dialog over a list (a row's menu, Revoke and create new):
     the list's results are fetched again for the same URL, and focus, if the
     change lost it, goes back to the row's ⋮ button. */
  document.addEventListener("sk-keys-changed", function () {
    var results = document.getElementById("sk-results");
    if (!results || !window.htmx) return;
    refreshFocusKey = opener && opener.getAttribute && opener.getAttribute("data-sk-focus-key");
    window.htmx.ajax("GET", window.location.href, { source: results, target: "#sk-results" });
    refreshFocusKey = null;
  });

  enhance(document);
})();
