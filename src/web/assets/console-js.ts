/**
 * The console's one script (DESIGN.md: works without JavaScript, better with it). Every page works
 * without it; with it: a confirmation before irreversible actions, no double submission, the
 * registry upload by drag-and-drop with a progress bar while the file is sent and read, and the
 * crew's exam draft kept on the phone through a bad signal.
 */
export const CONSOLE_JS = String.raw`
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.hasAttribute('data-upload') && window.FormData && window.XMLHttpRequest) {
      event.preventDefault();
      upload(form);
      return;
    }
    if (form.hasAttribute('data-exam-draft') && window.fetch && window.localStorage) {
      event.preventDefault();
      submitExam(form);
      return;
    }
    var busy = form.getAttribute('data-busy');
    var busyStatus = form.querySelector('[data-busy-status]');
    if (busy && busyStatus) busyStatus.textContent = busy;
    if (form.method.toLowerCase() === 'post') {
      // One click, one action: the buttons wait for the answer.
      setTimeout(function () {
        form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });

  function upload(form) {
    var bar = form.querySelector('progress');
    var status = form.querySelector('[data-upload-status]');
    var buttons = form.querySelectorAll('button[type=submit]');
    buttons.forEach(function (b) { b.disabled = true; });
    var file = form.querySelector('input[type=file]');
    file = file && file.files && file.files[0];
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('X-Console-Upload', '1');
    xhr.upload.onprogress = function (e) {
      if (!bar || !e.lengthComputable) return;
      bar.hidden = false; bar.max = e.total; bar.value = e.loaded;
      if (status) status.textContent = e.loaded < e.total ? '正在上传 ' + Math.round(100 * e.loaded / e.total) + '%' : '上传完成，正在逐行校验并写入，请稍候…';
    };
    xhr.onload = function () {
      // The server answers the import's address in JSON; an error comes as the form page again.
      var type = xhr.getResponseHeader('Content-Type') || '';
      if (xhr.status === 200 && type.indexOf('application/json') === 0) {
        window.location.href = JSON.parse(xhr.responseText).location;
        return;
      }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () {
      if (status) status.textContent = '网络中断，文件没有导入。请检查网络后重新上传。';
      buttons.forEach(function (b) { b.disabled = false; });
    };
    // The file itself as the body, its name in a header: a Worker can then hand a large one to
    // its queue (src/registry/upload.ts handOffImport). Without a file, the form as it is.
    if (!file) return xhr.send(new FormData(form));
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name));
    xhr.setRequestHeader('X-CSRF-Token', new URL(form.action, window.location.href).searchParams.get('_csrf') || '');
    xhr.send(file);
  }

  document.querySelectorAll('.dropzone').forEach(function (zone) {
    var input = zone.querySelector('input[type=file]');
    var name = zone.querySelector('[data-file-name]');
    if (!input) return;
    function show() { if (name) name.textContent = input.files && input.files[0] ? input.files[0].name : ''; }
    input.addEventListener('change', show);
    zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
    zone.addEventListener('drop', function (e) {
      e.preventDefault(); zone.classList.remove('over');
      if (e.dataTransfer && e.dataTransfer.files.length > 0) { input.files = e.dataTransfer.files; show(); }
    });
  });

  // The exam form at the door (src/web/crew/exam.tsx): a bad signal loses nothing. The draft is
  // kept on the phone as it is typed; a submit made offline waits there ('exam-pending:<visit>')
  // and is sent when the network is back ('online'), or from the next console page opened with
  // a signal; the key rendered into the form makes a resend record one exam.
  var EXAM_OFFLINE = '已保存在手机上，联网后自动提交';
  var examLoadedAt = Date.now();
  var examSending = {};
  function examKey(form, kind) { return 'exam-' + kind + ':' + form.getAttribute('data-exam-draft'); }
  function examFields(form) {
    var out = {};
    new FormData(form).forEach(function (v, k) { if (k !== '_csrf' && typeof v === 'string') out[k] = v; });
    return out;
  }
  function examStatus(form, text) { var s = form.querySelector('[data-exam-status]'); if (s) s.textContent = text; }
  function examButtons(form, disabled) { form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = disabled; }); }
  function saveExamDraft(form) { try { localStorage.setItem(examKey(form, 'draft'), JSON.stringify(examFields(form))); } catch (e) { /* full or private: the form still posts */ } }
  function restoreExamDraft(form) {
    // After a refused post the server's page shows what was sent, with its errors: it wins.
    if (form.hasAttribute('data-has-errors')) return;
    var data;
    try { data = JSON.parse(localStorage.getItem(examKey(form, 'draft')) || 'null'); } catch (e) { return; }
    if (!data) return;
    Object.keys(data).forEach(function (name) {
      form.querySelectorAll('[name="' + name + '"]').forEach(function (f) {
        if (f.type === 'radio' || f.type === 'checkbox') f.checked = f.value === data[name];
        else f.value = data[name];
      });
    });
  }
  // Sends one kept exam: answered(location or null, page text, action), or offline().
  function sendKeptExam(key, answered, offline) {
    var kept;
    try { kept = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { kept = null; }
    if (!kept || !kept.action || examSending[key]) return;
    if (navigator.onLine === false) { offline(); return; }
    examSending[key] = true;
    var body = new URLSearchParams(kept.fields);
    // Every signed-in page carries the session's token (the sign-out form at least).
    var csrf = document.querySelector('input[name=_csrf]');
    if (csrf) body.set('_csrf', csrf.value);
    fetch(kept.action, { method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-Console-Fetch': '1' } })
      .then(function (res) {
        var type = res.headers.get('Content-Type') || '';
        return res.text().then(function (text) {
          examSending[key] = false;
          localStorage.removeItem(key);
          var done = res.ok && type.indexOf('application/json') === 0;
          if (done) localStorage.removeItem(key.replace('exam-pending:', 'exam-draft:'));
          answered(done ? JSON.parse(text).location : null, text, kept.action);
        });
      })
      .catch(function () { examSending[key] = false; offline(); });
  }
  function submitExam(form) {
    var ended = form.querySelector('input[name=endedAt]');
    var started = form.querySelector('input[name=startedAt]');
    // When the examiner tapped, not when the network let it through: the server's start plus the
    // time on this page (a phone's clock may be wrong; the time it measures is not).
    if (ended && !ended.value && started && started.value) ended.value = new Date(Date.parse(started.value) + (Date.now() - examLoadedAt)).toISOString();
    saveExamDraft(form);
    localStorage.setItem(examKey(form, 'pending'), JSON.stringify({ action: form.action, fields: examFields(form) }));
    sendFormExam(form);
  }
  function sendFormExam(form) {
    if (!examSending[examKey(form, 'pending')] && localStorage.getItem(examKey(form, 'pending'))) { examButtons(form, true); examStatus(form, '正在提交…'); }
    sendKeptExam(examKey(form, 'pending'), function (location, text) {
      if (location) { window.location.href = location; return; }
      // A refusal comes as the form page again, with its errors.
      document.open(); document.write(text); document.close();
    }, function () { examButtons(form, false); examStatus(form, EXAM_OFFLINE); });
  }
  /** Exams kept from another page (the phone was put away offline): sent, and said on this page. */
  function sendOtherExams(own) {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf('exam-pending:') === 0 && k !== own) keys.push(k);
    }
    keys.forEach(function (key) {
      sendKeptExam(key, function (location, text, action) {
        var main = document.getElementById('main');
        if (!main) return;
        var note = document.createElement('p');
        note.setAttribute('role', 'status');
        note.className = location ? 'flash flash-good' : 'flash flash-bad';
        note.textContent = location ? '保存在手机上的体检结果已提交。' : '保存在手机上的体检结果没有提交成功，请打开体检表检查后重新提交：';
        if (!location) { var a = document.createElement('a'); a.href = action; a.textContent = '打开体检表'; note.appendChild(a); }
        main.insertBefore(note, main.firstChild);
      }, function () {});
    });
  }
  var examForm = document.querySelector('form[data-exam-draft]');
  if (window.fetch && window.localStorage) {
    var ownExam = examForm ? examKey(examForm, 'pending') : null;
    if (examForm) {
      restoreExamDraft(examForm);
      examForm.addEventListener('input', function () { saveExamDraft(examForm); });
      examForm.addEventListener('change', function () { saveExamDraft(examForm); });
      sendFormExam(examForm);
    }
    sendOtherExams(ownExam);
    window.addEventListener('online', function () {
      if (examForm) sendFormExam(examForm);
      sendOtherExams(ownExam);
    });
  }

  // On a phone the menu starts folded.
  if (window.matchMedia && window.matchMedia('(max-width: 760px)').matches) {
    document.querySelectorAll('.sidenav details').forEach(function (d) { d.removeAttribute('open'); });
  }
})();
`;
