// A stand-in for Klarna's JavaScript SDK (`/kp/lib/v1/api.js`), served by klarna-simulator.
// Written against Klarna's documented surface (init, load, authorize, reauthorize,
// finalize; their argument, callback and error shapes), not a copy of Klarna's script. A
// page switches to it by changing only its script's origin. It talks to the simulator
// that served it, with the session's client token as its only credential.

var script = document.currentScript;
var simulator = script && script.src ? new URL(script.src, window.location.href).origin : "";
var endpoints = simulator + "/kp/payments/v1/";

// Klarna's error names, as `name` of what the functions throw.
function klarnaError(name) {
  var KlarnaError = class extends Error {
    constructor(message) {
      super(message);
      this.name = name;
    }
  };
  Object.defineProperty(KlarnaError, "name", { value: name });
  return KlarnaError;
}
var InvalidClientTokenError = klarnaError("InvalidClientTokenError");
var ApplicationNotInitializedError = klarnaError("ApplicationNotInitializedError");
var InvalidContainerSelectorError = klarnaError("InvalidContainerSelectorError");
var PaymentMethodCategoryNotProvidedError = klarnaError("PaymentMethodCategoryNotProvidedError");
var PaymentMethodCategoryNotSupportedError = klarnaError("PaymentMethodCategoryNotSupportedError");

// What `init` accepted: the token, its claims, and the categories loaded so far.
var state = null;

function base64UrlJson(part) {
  var text = part.replace(/-/g, "+").replace(/_/g, "/");
  while (text.length % 4) {
    text += "=";
  }
  var binary = atob(text);
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return JSON.parse(new TextDecoder().decode(bytes));
}

// The claims of a client token: a JSON Web Token naming a session, or null.
function claimsOf(token) {
  if (typeof token !== "string") {
    return null;
  }
  var parts = token.split(".");
  if (parts.length !== 3) {
    return null;
  }
  try {
    var header = base64UrlJson(parts[0]);
    var claims = base64UrlJson(parts[1]);
    if (!header || typeof header.alg !== "string" || !claims || typeof claims.session_id !== "string") {
      return null;
    }
    return claims;
  } catch (ignored) {
    return null;
  }
}

function requireInit() {
  if (!state) {
    throw new ApplicationNotInitializedError(
      "Klarna.Payments.init({client_token}) must be called first"
    );
  }
}

// `(options, data?, callback?)` as Klarna takes them: data may be left out.
function argumentsOf(options, data, callback) {
  if (typeof data === "function" && callback === undefined) {
    callback = data;
    data = undefined;
  }
  return {
    options: options || {},
    data: data,
    callback: typeof callback === "function" ? callback : function () {},
  };
}

function containerOf(container) {
  if (container && typeof container === "object" && container.nodeType === 1) {
    return container;
  }
  var found = null;
  if (typeof container === "string" && container.length) {
    try {
      found = document.querySelector(container);
    } catch (ignored) {
      found = null;
    }
  }
  if (!found) {
    throw new InvalidContainerSelectorError(
      "The container is not an element or a selector of one: " + String(container)
    );
  }
  return found;
}

// The category asked for, which the session must offer.
function categoryOf(options, loadedOnly) {
  var category = options.payment_method_category;
  if (!category && Array.isArray(options.payment_method_categories)) {
    category = options.payment_method_categories[0];
  }
  if (!category && loadedOnly) {
    var loaded = Object.keys(state.loaded);
    if (loaded.length === 1) {
      category = loaded[0];
    }
  }
  if (!category || typeof category !== "string") {
    throw new PaymentMethodCategoryNotProvidedError("No payment_method_category was given");
  }
  var offered = state.claims.payment_method_categories;
  if (Array.isArray(offered) && offered.indexOf(category) < 0) {
    throw new PaymentMethodCategoryNotSupportedError(
      "The session does not offer the payment method category " + category
    );
  }
  return category;
}

// A call to the simulator with the client token; resolves to its JSON answer.
function call(method, path, body) {
  var init = {
    method: method,
    headers: { Authorization: "Bearer " + state.token },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(endpoints + path, init).then(function (answer) {
    return answer.json().then(function (json) {
      if (!answer.ok) {
        var message = (json && json.error_messages && json.error_messages.join("; ")) || answer.status;
        throw new Error("Klarna simulator answered " + answer.status + ": " + message);
      }
      return json;
    });
  });
}

// A failed exchange with the simulator, as a callback Klarna's SDK would give.
function failed(callback, extra) {
  return function (error) {
    console.error("[Klarna simulator]", error);
    var answer = { show_form: false, error: { invalid_fields: [] } };
    for (var key in extra || {}) {
      answer[key] = extra[key];
    }
    callback(answer);
  };
}

function init(options) {
  var token = options && options.client_token;
  var claims = claimsOf(token);
  if (!claims) {
    throw new InvalidClientTokenError("The client_token is not a valid JSON Web Token");
  }
  state = { token: token, claims: claims, loaded: {}, session: null };
}

function load(options, data, callback) {
  requireInit();
  var args = argumentsOf(options, data, callback);
  var container = containerOf(args.options.container);
  var category = categoryOf(args.options, false);
  var current = state;
  call("POST", "load", { payment_method_category: category, data: args.data })
    .then(function (answer) {
      current.session = answer.session;
      current.loaded[category] = container;
      if (answer.result && answer.result.show_form) {
        renderWidget(container, answer.session, category);
      }
      args.callback(answer.result);
    })
    .catch(failed(args.callback));
}

// authorize and reauthorize: the dialog, then the simulator's decision.
function decideInDialog(options, data, callback) {
  requireInit();
  var args = argumentsOf(options, data, callback);
  var category = categoryOf(args.options, true);
  var autoFinalize = args.options.auto_finalize !== false;
  var current = state;
  var show = current.session
    ? Promise.resolve(current.session)
    : call("GET", "session").then(function (session) {
        current.session = session;
        return session;
      });
  show
    .then(function (session) {
      openDialog(session, category, function (approved, close) {
        call("POST", "authorize", {
          payment_method_category: category,
          auto_finalize: autoFinalize,
          approved: approved,
          data: args.data,
        })
          .then(function (answer) {
            close();
            args.callback(answer);
          })
          .catch(function (error) {
            close();
            failed(args.callback, { approved: false })(error);
          });
      });
    })
    .catch(failed(args.callback, { approved: false }));
}

function authorize(options, data, callback) {
  decideInDialog(options, data, callback);
}

function reauthorize(options, data, callback) {
  decideInDialog(options, data, callback);
}

function finalize(options, data, callback) {
  requireInit();
  var args = argumentsOf(options, data, callback);
  var category = categoryOf(args.options, true);
  call("POST", "finalize", { payment_method_category: category, data: args.data })
    .then(args.callback)
    .catch(failed(args.callback, { approved: false }));
}

window.Klarna = window.Klarna || {};
window.Klarna.Payments = {
  init: init,
  load: load,
  authorize: authorize,
  reauthorize: reauthorize,
  finalize: finalize,
};

// As Klarna's loader does once the library is ready.
if (typeof window.klarnaAsyncCallback === "function") {
  setTimeout(window.klarnaAsyncCallback, 0);
}
