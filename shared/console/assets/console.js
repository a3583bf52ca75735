// Keyboard shortcuts of the console: "/" focuses the search box of every page, Escape leaves
// a field.
// (No inline script anywhere: the Content-Security-Policy forbids it.)
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
  if (event.key === "/" && !typing) {
    var search = document.getElementById("find");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  } else if (event.key === "Escape" && typing) {
    target.blur();
  }
});

// Uploads go from the browser straight to the documents bucket: the console records the file
// and hands out a link for exactly its type and size, the file is sent there (with progress),
// and the console checks what arrived. Without this script the form posts the file to the
// console, which takes smaller files only.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var announce = form.getAttribute && form.getAttribute("data-direct-upload");
  var input = announce && form.querySelector("input[type=file]");
  var file = input && input.files && input.files[0];
  if (!file || !window.fetch || !window.XMLHttpRequest) {
    return;
  }
  event.preventDefault();
  // An alert is announced when it appears: the role comes with the first reason.
  var error = form.querySelector("[data-upload-error]");
  var progress = form.querySelector("progress");
  var button = form.querySelector("button[type=submit]");
  var token = form.querySelector("input[name=_csrf]").value;
  var post = function (url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, Accept: "application/json" },
      body: new URLSearchParams(fields),
    });
  };
  var failed = function (reason) {
    error.setAttribute("role", "alert");
    error.textContent = reason && reason.message ? reason.message : form.getAttribute("data-failed");
    input.setAttribute("aria-invalid", "true");
    progress.hidden = true;
    button.disabled = false;
  };
  var send = function (answer) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open("PUT", answer.url);
      // The headers the link was signed with, among them If-None-Match: * (the file is written once).
      Object.keys(answer.headers).forEach(function (name) {
        request.setRequestHeader(name, answer.headers[name]);
      });
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          progress.value = Math.round((100 * e.loaded) / e.total);
        }
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) {
          resolve(answer);
        } else {
          reject(new Error(form.getAttribute("data-failed")));
        }
      });
      request.addEventListener("error", function () {
        reject(new Error(form.getAttribute("data-failed")));
      });
      request.send(file);
    });
  };
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  button.disabled = true;
  progress.value = 0;
  progress.hidden = false;
  post(announce, { fileName: file.name, contentType: file.type, size: String(file.size) })
    .then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.errors.join(" "));
        }
        return answer;
      });
    })
    .then(send)
    .then(function (answer) {
      return post(answer.complete, {});
    })
    .then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.errors.join(" "));
        }
      });
    })
    .then(function () {
      // The documents section again, with the new file in it; the focus goes to its heading.
      var refresh = window.htmx
        ? window.htmx.ajax("GET", form.getAttribute("data-documents"), { target: "#documents", swap: "outerHTML" })
        : Promise.resolve(window.location.reload());
      return refresh.then(function () {
        var heading = document.getElementById("documents-heading");
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
      });
    })
    .catch(failed);
});
