// The simulator's stand-in for Klarna's widget: what `load` renders into the merchant's
// container, and the dialog in which the shopper approves or declines on `authorize`.
// Plain DOM code, no dependencies. Every element is marked as the simulator's, and the
// dialog's buttons carry stable `data-testid` hooks for any test tool.

var STYLE_ID = "klarna-simulator-style";
var STYLE =
  ".klarna-simulator-widget{font:14px/1.4 system-ui,sans-serif;border:2px dashed #b2164a;" +
  "border-radius:8px;padding:12px;background:#fff7fa;color:#17120f}" +
  ".klarna-simulator-banner{font-weight:700;color:#b2164a;margin-bottom:8px}" +
  ".klarna-simulator-category{display:flex;justify-content:space-between;padding:8px;" +
  "border:1px solid #e5d3da;border-radius:6px;background:#fff}" +
  ".klarna-simulator-overlay{position:fixed;inset:0;background:rgba(23,18,15,.55);" +
  "display:flex;align-items:center;justify-content:center;z-index:2147483647}" +
  ".klarna-simulator-dialog{font:15px/1.4 system-ui,sans-serif;background:#fff;color:#17120f;" +
  "border-radius:12px;padding:24px;min-width:300px;max-width:90vw;box-shadow:0 8px 32px rgba(0,0,0,.3)}" +
  ".klarna-simulator-dialog h2{margin:8px 0 4px;font-size:20px}" +
  ".klarna-simulator-actions{display:flex;gap:12px;margin-top:20px}" +
  ".klarna-simulator-actions button{flex:1;font:inherit;padding:10px 16px;border-radius:6px;cursor:pointer}" +
  ".klarna-simulator-approve{background:#ffb3c7;border:1px solid #17120f;font-weight:700}" +
  ".klarna-simulator-decline{background:#fff;border:1px solid #8a7f7a}";

function addStyle() {
  if (document.getElementById(STYLE_ID)) {
    return;
  }
  var style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = STYLE;
  (document.head || document.documentElement).appendChild(style);
}

function element(tag, className, text) {
  var node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

// "SEK 238.00": minor units shown as the amount the shopper pays.
function formatAmount(minorUnits, currency) {
  if (typeof minorUnits !== "number") {
    return "";
  }
  return (currency || "").toUpperCase() + " " + (minorUnits / 100).toFixed(2);
}

function categoryName(session, identifier) {
  var categories = session.payment_method_categories || [];
  for (var i = 0; i < categories.length; i++) {
    if (categories[i].identifier === identifier) {
      return categories[i].name || identifier;
    }
  }
  return identifier;
}

var BANNER = "Klarna simulator \u2014 test checkout, no money moves";

// Replaces the container's content with the simulated widget for `identifier`.
function renderWidget(container, session, identifier) {
  addStyle();
  var widget = element("div", "klarna-simulator-widget");
  widget.setAttribute("data-testid", "klarna-simulator-widget");
  widget.setAttribute("data-payment-method-category", identifier);
  widget.appendChild(element("div", "klarna-simulator-banner", BANNER));
  var row = element("div", "klarna-simulator-category");
  row.appendChild(element("strong", null, categoryName(session, identifier)));
  row.appendChild(
    element("span", null, formatAmount(session.order_amount, session.purchase_currency))
  );
  widget.appendChild(row);
  while (container.firstChild) {
    container.removeChild(container.firstChild);
  }
  container.appendChild(widget);
}

// Opens the approval dialog; `decide(true | false)` is called once, on a button.
function openDialog(session, identifier, decide) {
  addStyle();
  var overlay = element("div", "klarna-simulator-overlay");
  overlay.setAttribute("data-testid", "klarna-simulator-dialog");
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-modal", "true");
  overlay.setAttribute("aria-label", "Klarna simulator: approve the purchase");
  var dialog = element("div", "klarna-simulator-dialog");
  dialog.appendChild(element("div", "klarna-simulator-banner", BANNER));
  dialog.appendChild(element("h2", null, "Approve this purchase?"));
  dialog.appendChild(
    element(
      "p",
      null,
      categoryName(session, identifier) +
        " \u00b7 " +
        formatAmount(session.order_amount, session.purchase_currency)
    )
  );
  var actions = element("div", "klarna-simulator-actions");
  var approve = element("button", "klarna-simulator-approve", "Approve");
  approve.type = "button";
  approve.setAttribute("data-testid", "klarna-simulator-approve");
  var decline = element("button", "klarna-simulator-decline", "Decline");
  decline.type = "button";
  decline.setAttribute("data-testid", "klarna-simulator-decline");
  actions.appendChild(approve);
  actions.appendChild(decline);
  dialog.appendChild(actions);
  overlay.appendChild(dialog);
  var decided = false;
  function choose(approved) {
    if (decided) {
      return;
    }
    decided = true;
    approve.disabled = true;
    decline.disabled = true;
    decide(approved, function close() {
      if (overlay.parentNode) {
        overlay.parentNode.removeChild(overlay);
      }
    });
  }
  approve.addEventListener("click", function () {
    choose(true);
  });
  decline.addEventListener("click", function () {
    choose(false);
  });
  document.body.appendChild(overlay);
  approve.focus();
}
