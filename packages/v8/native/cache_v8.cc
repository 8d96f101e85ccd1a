// @cache/v8 native part: only what JavaScript cannot do.
//
//   serialize(module)            WasmModuleObject -> Uint8Array of V8's code
//   installLoader(request)       sets this addon's wasm streaming callback
//   restoreNodeStreaming()       puts Node's own streaming callback back
//   canRestoreNodeStreaming      whether Node's callback was found (dlsym)
//   cachedDataVersionTag()       v8::ScriptCompiler::CachedDataVersionTag()
//   sha256(bytes)                SHA-256 by the OpenSSL inside Node (absent if not found)
//   sha256Begin() / sha256Update(handle, bytes) / sha256End(handle)
//                                the same in steps (absent if not found)
//   sha256Each(pieces)           the SHA-256 of each piece, one thread each,
//                                joined before it returns (absent if not found)
//   threads                      how many threads this process may run at once
//   crc32(bytes)                 CRC-32 by the zlib inside Node (absent if not found)
//
// The digests and the tag are what node:crypto, node:zlib and node:v8 give,
// from the same libraries, but without loading those modules: together 3-7 ms
// of every process that reads the cache, more than a small module takes to
// compile.
//
// Loading serialized code works through WebAssembly.compileStreaming: the JS
// side calls installLoader(request), then WebAssembly.compileStreaming(request),
// then restoreNodeStreaming(). V8 binds the callback when compileStreaming is
// called and runs it later as a microtask, so restoring right after the call is
// safe. The callback sets request.acceptedByV8 to the result of
// SetCompiledModuleBytes (true: the 16-byte header matched this process).
//
// No business logic here: argument checks throw TypeError, nothing else.
#include <dlfcn.h>
#include <node.h>
#include <pthread.h>
#include <uv.h>
#include <v8.h>

#include <cstring>
#include <memory>
#include <vector>

namespace cache_v8 {

using v8::ArrayBuffer;
using v8::BackingStore;
using v8::Boolean;
using v8::Context;
using v8::FunctionCallbackInfo;
using v8::HandleScope;
using v8::Isolate;
using v8::Local;
using v8::MaybeLocal;
using v8::Object;
using v8::Private;
using v8::String;
using v8::Uint8Array;
using v8::Value;
using v8::WasmModuleObject;
using v8::WasmStreaming;

// node::wasm_web_api::StartStreamingCompilation(const v8::FunctionCallbackInfo<v8::Value>&)
// Exported by the node binary on Node 20, 22 and 24 (Linux).
constexpr const char kNodeStreamingSymbol[] =
    "_ZN4node12wasm_web_api25StartStreamingCompilationERKN2v820"
    "FunctionCallbackInfoINS1_5ValueEEE";

using StreamingCallback = void (*)(const FunctionCallbackInfo<Value>&);

StreamingCallback NodeStreamingCallback() {
  // Thread-safe one-time lookup (C++11 static init); the result never changes.
  static const StreamingCallback callback = reinterpret_cast<StreamingCallback>(
      dlsym(RTLD_DEFAULT, kNodeStreamingSymbol));
  return callback;
}

// The digest functions of the OpenSSL and zlib that Node is built with, found
// like Node's streaming callback: an addon linked against them would not load
// where a Node build lacks them, and these are optional.
using EvpMdFn = const void* (*)();
using EvpDigestFn = int (*)(const void* data, size_t count, unsigned char* md,
                            unsigned int* size, const void* type, void* engine);
using Crc32Fn = unsigned long (*)(unsigned long crc, const unsigned char* buf, size_t len);
using EvpCtxNewFn = void* (*)();
using EvpCtxFreeFn = void (*)(void* ctx);
using EvpInitFn = int (*)(void* ctx, const void* type, void* engine);
using EvpUpdateFn = int (*)(void* ctx, const void* data, size_t count);
using EvpFinalFn = int (*)(void* ctx, unsigned char* md, unsigned int* size);

struct Digests {
  EvpDigestFn evp_digest = nullptr;
  const void* sha256 = nullptr;
  Crc32Fn crc32 = nullptr;
  EvpCtxNewFn ctx_new = nullptr;
  EvpCtxFreeFn ctx_free = nullptr;
  EvpInitFn init = nullptr;
  EvpUpdateFn update = nullptr;
  EvpFinalFn final = nullptr;

  bool HasSha256() const { return evp_digest != nullptr && sha256 != nullptr; }
  bool HasSha256Steps() const {
    return sha256 != nullptr && ctx_new != nullptr && ctx_free != nullptr && init != nullptr &&
           update != nullptr && final != nullptr;
  }
};

const Digests& NodeDigests() {
  static const Digests digests = [] {
    Digests found;
    auto sha256 = reinterpret_cast<EvpMdFn>(dlsym(RTLD_DEFAULT, "EVP_sha256"));
    found.evp_digest = reinterpret_cast<EvpDigestFn>(dlsym(RTLD_DEFAULT, "EVP_Digest"));
    found.sha256 = sha256 != nullptr ? sha256() : nullptr;
    // Node 20 and 22 build Chromium's zlib with its symbol prefix; Node 24 without.
    void* crc32 = dlsym(RTLD_DEFAULT, "Cr_z_crc32_z");
    found.crc32 = reinterpret_cast<Crc32Fn>(crc32 != nullptr ? crc32 : dlsym(RTLD_DEFAULT, "crc32_z"));
    found.ctx_new = reinterpret_cast<EvpCtxNewFn>(dlsym(RTLD_DEFAULT, "EVP_MD_CTX_new"));
    found.ctx_free = reinterpret_cast<EvpCtxFreeFn>(dlsym(RTLD_DEFAULT, "EVP_MD_CTX_free"));
    found.init = reinterpret_cast<EvpInitFn>(dlsym(RTLD_DEFAULT, "EVP_DigestInit_ex"));
    found.update = reinterpret_cast<EvpUpdateFn>(dlsym(RTLD_DEFAULT, "EVP_DigestUpdate"));
    found.final = reinterpret_cast<EvpFinalFn>(dlsym(RTLD_DEFAULT, "EVP_DigestFinal_ex"));
    return found;
  }();
  return digests;
}

Local<String> Str(Isolate* isolate, const char* text) {
  return String::NewFromUtf8(isolate, text).ToLocalChecked();
}

void ThrowTypeError(Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(Str(isolate, message)));
}

// Marks request objects created for this addon, per isolate.
Local<Private> RequestTag(Isolate* isolate) {
  return Private::ForApi(isolate, Str(isolate, "@cache/v8.request"));
}

// Reads a Uint8Array property; returns false (without throwing) when absent.
bool GetBytes(Local<Context> context, Local<Object> object, const char* key,
              Local<Uint8Array>* out) {
  Local<Value> value;
  if (!object->Get(context, Str(context->GetIsolate(), key)).ToLocal(&value) ||
      !value->IsUint8Array()) {
    return false;
  }
  *out = value.As<Uint8Array>();
  return true;
}

// Stable pointer to a Uint8Array's bytes. Buffer() moves small on-heap typed
// arrays off the heap, so the pointer stays valid while `store` is held.
const uint8_t* BytesOf(Local<Uint8Array> view, std::shared_ptr<BackingStore>* store) {
  *store = view->Buffer()->GetBackingStore();
  if (view->ByteLength() == 0) return nullptr;
  return static_cast<const uint8_t*>((*store)->Data()) + view->ByteOffset();
}

// The wasm streaming callback this addon installs for one compileStreaming call.
void LoaderCallback(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  HandleScope scope(isolate);
  Local<Context> context = isolate->GetCurrentContext();

  Local<Value> source = info.Length() > 0 ? info[0] : Local<Value>();
  bool ours = !source.IsEmpty() && source->IsObject() &&
              source.As<Object>()->HasPrivate(context, RequestTag(isolate)).FromMaybe(false);
  if (!ours) {
    // Someone else's compileStreaming call: hand it to Node when possible.
    if (StreamingCallback node_callback = NodeStreamingCallback()) {
      node_callback(info);
      return;
    }
    std::shared_ptr<WasmStreaming> streaming = WasmStreaming::Unpack(isolate, info.Data());
    streaming->Abort(v8::Exception::TypeError(
        Str(isolate, "@cache/v8: WebAssembly streaming is not available in this process")));
    return;
  }

  Local<Object> request = source.As<Object>();
  std::shared_ptr<WasmStreaming> streaming = WasmStreaming::Unpack(isolate, info.Data());
  // The request is the caller's object: its getters, setters or Proxy traps run JavaScript that may
  // throw. Whatever throws (or fails) rejects this compileStreaming call; nothing is left pending.
  v8::TryCatch try_catch(isolate);
  auto abort = [&](const char* message) {
    if (try_catch.HasTerminated()) {
      try_catch.ReThrow();                    // a terminating worker: the termination goes on,
      streaming->Abort(MaybeLocal<Value>());  // and the promise is left unsettled
    } else {
      streaming->Abort(try_catch.HasCaught() ? try_catch.Exception()
                                             : v8::Exception::TypeError(Str(isolate, message)));
    }
  };

  // The module's script URL, as Node's own callback sets a Response's: stack traces and the
  // inspector name the module by it. Without one V8 names it wasm://wasm/<hash>, as a module
  // compiled from bytes. Read before the bytes: a getter cannot change them once they are taken.
  Local<Value> url;
  if (!request->Get(context, Str(isolate, "url")).ToLocal(&url)) {
    abort("@cache/v8: request.url could not be read");
    return;
  }
  Local<Uint8Array> serialized;
  Local<Uint8Array> wire_bytes;
  if (!GetBytes(context, request, "serialized", &serialized) ||
      !GetBytes(context, request, "wireBytes", &wire_bytes)) {
    abort("@cache/v8: request.serialized and request.wireBytes must be Uint8Arrays");
    return;
  }
  std::shared_ptr<BackingStore> serialized_store;
  std::shared_ptr<BackingStore> wire_store;
  const uint8_t* serialized_data = BytesOf(serialized, &serialized_store);
  const uint8_t* wire_data = BytesOf(wire_bytes, &wire_store);
  if (url->IsString() && url.As<String>()->Length() > 0) {
    String::Utf8Value text(isolate, url);
    if (*text != nullptr) streaming->SetUrl(*text, static_cast<size_t>(text.length()));
  }
  bool accepted = serialized_data != nullptr &&
                  streaming->SetCompiledModuleBytes(serialized_data, serialized->ByteLength());
  // Defined as a data property of the request's own: no setter (own or inherited) and no Proxy
  // `set` trap runs. A Proxy's defineProperty trap may still throw, and a frozen request refuses it.
  if (!request->CreateDataProperty(context, Str(isolate, "acceptedByV8"), Boolean::New(isolate, accepted))
           .FromMaybe(false)) {
    abort("@cache/v8: request.acceptedByV8 could not be set (a frozen or non-extensible request?)");
    return;
  }
  if (wire_data != nullptr) streaming->OnBytesReceived(wire_data, wire_bytes->ByteLength());
  // Deserialization happens inside Finish, while the backing stores are held.
  streaming->Finish(true);
}

// serialize(module: WebAssembly.Module): Uint8Array
void Serialize(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsWasmModuleObject()) {
    ThrowTypeError(isolate, "serialize: argument must be a WebAssembly.Module");
    return;
  }
  v8::CompiledWasmModule compiled = info[0].As<WasmModuleObject>()->GetCompiledModule();
  v8::OwnedBuffer owned = compiled.Serialize();
  Local<ArrayBuffer> buffer = ArrayBuffer::New(isolate, owned.size);
  if (owned.size > 0) std::memcpy(buffer->Data(), owned.buffer.get(), owned.size);
  info.GetReturnValue().Set(Uint8Array::New(buffer, 0, owned.size));
}

// cachedDataVersionTag(): number (uint32)
void CachedDataVersionTag(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(v8::Integer::NewFromUnsigned(
      info.GetIsolate(), v8::ScriptCompiler::CachedDataVersionTag()));
}

// The bytes of a Uint8Array argument, or a TypeError.
bool ArgumentBytes(const FunctionCallbackInfo<Value>& info, const char* message,
                   std::shared_ptr<BackingStore>* store, const uint8_t** data, size_t* length) {
  if (info.Length() < 1 || !info[0]->IsUint8Array()) {
    ThrowTypeError(info.GetIsolate(), message);
    return false;
  }
  Local<Uint8Array> view = info[0].As<Uint8Array>();
  *data = BytesOf(view, store);
  *length = view->ByteLength();
  return true;
}

// SHA-256 of `length` bytes at `data` (null when empty) into `out` (32 bytes).
bool DigestInto(const uint8_t* data, size_t length, unsigned char* out) {
  static const uint8_t kEmpty = 0;
  unsigned int size = 0;
  const Digests& digests = NodeDigests();
  return digests.evp_digest(data != nullptr ? data : &kEmpty, length, out, &size, digests.sha256, nullptr) == 1 &&
         size == 32;
}

// sha256(bytes: Uint8Array): Uint8Array (32 bytes)
void Sha256(const FunctionCallbackInfo<Value>& info) {
  std::shared_ptr<BackingStore> store;
  const uint8_t* data;
  size_t length;
  if (!ArgumentBytes(info, "sha256: argument must be a Uint8Array", &store, &data, &length)) return;
  Local<ArrayBuffer> buffer = ArrayBuffer::New(info.GetIsolate(), 32);
  if (!DigestInto(data, length, static_cast<unsigned char*>(buffer->Data()))) {
    ThrowTypeError(info.GetIsolate(), "sha256: OpenSSL's EVP_Digest failed");
    return;
  }
  info.GetReturnValue().Set(Uint8Array::New(buffer, 0, 32));
}

// One piece of a sha256Each call, hashed on a thread of its own.
struct Piece {
  const uint8_t* data;
  size_t length;
  unsigned char* out;
  bool ok;
};

void* DigestPiece(void* arg) {
  auto* piece = static_cast<Piece*>(arg);
  piece->ok = DigestInto(piece->data, piece->length, piece->out);
  return nullptr;
}

// At most this many pieces per call: one thread each.
constexpr uint32_t kMaxPieces = 64;

// sha256Each(pieces: Uint8Array[]): Uint8Array (32 bytes per piece, in order)
// Every piece but the first on a thread of its own, the first on the calling
// thread; all are joined before it returns, so no JavaScript runs meanwhile and
// the bytes stay where they are. A thread that cannot be started leaves its
// piece to the calling thread.
void Sha256Each(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  if (info.Length() < 1 || !info[0]->IsArray() || info[0].As<v8::Array>()->Length() > kMaxPieces) {
    ThrowTypeError(isolate, "sha256Each: argument must be an array of at most 64 Uint8Arrays");
    return;
  }
  Local<v8::Array> list = info[0].As<v8::Array>();
  const uint32_t count = list->Length();
  // Every element first: reading one can run JavaScript (a getter) that resizes, transfers or
  // detaches the buffer of another. Only then, with no JavaScript left to run, their bytes.
  std::vector<Local<Uint8Array>> views;
  views.reserve(count);
  for (uint32_t i = 0; i < count; i++) {
    Local<Value> item;
    if (!list->Get(context, i).ToLocal(&item)) return;
    if (!item->IsUint8Array()) {
      ThrowTypeError(isolate, "sha256Each: argument must be an array of at most 64 Uint8Arrays");
      return;
    }
    views.push_back(item.As<Uint8Array>());
  }
  Local<ArrayBuffer> buffer = ArrayBuffer::New(isolate, 32 * static_cast<size_t>(count));
  std::vector<std::shared_ptr<BackingStore>> stores(count);
  std::vector<Piece> pieces(count);
  for (uint32_t i = 0; i < count; i++) {
    pieces[i] = Piece{BytesOf(views[i], &stores[i]), views[i]->ByteLength(),
                      static_cast<unsigned char*>(buffer->Data()) + 32 * static_cast<size_t>(i), false};
  }
  std::vector<pthread_t> threads(count);
  std::vector<bool> started(count, false);
  for (uint32_t i = 1; i < count; i++) started[i] = pthread_create(&threads[i], nullptr, DigestPiece, &pieces[i]) == 0;
  if (count > 0) DigestPiece(&pieces[0]);
  bool ok = true;
  for (uint32_t i = 1; i < count; i++) {
    if (started[i]) pthread_join(threads[i], nullptr);
    else DigestPiece(&pieces[i]);
  }
  for (const Piece& piece : pieces) ok = ok && piece.ok;
  if (!ok) {
    ThrowTypeError(isolate, "sha256Each: OpenSSL's EVP_Digest failed");
    return;
  }
  info.GetReturnValue().Set(Uint8Array::New(buffer, 0, 32 * static_cast<size_t>(count)));
}

// A SHA-256 in steps: OpenSSL's context, behind a JS handle (an object with
// one internal field and a private tag, so no other object is taken for one).
// Freed by sha256End, or when the handle is collected unfinished.
struct Sha256Steps {
  void* ctx;  // EVP_MD_CTX*, null once finished
  v8::Global<Object> handle;
};

Local<Private> StepsTag(Isolate* isolate) {
  return Private::ForApi(isolate, Str(isolate, "@cache/v8.sha256Steps"));
}

void FreeSteps(const v8::WeakCallbackInfo<Sha256Steps>& data) {
  Sha256Steps* steps = data.GetParameter();
  if (steps->ctx != nullptr) NodeDigests().ctx_free(steps->ctx);
  steps->handle.Reset();
  delete steps;
}

// sha256Begin(): handle
void Sha256Begin(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  const Digests& digests = NodeDigests();
  void* ctx = digests.ctx_new();
  if (ctx == nullptr || digests.init(ctx, digests.sha256, nullptr) != 1) {
    if (ctx != nullptr) digests.ctx_free(ctx);
    ThrowTypeError(isolate, "sha256Begin: OpenSSL could not start a digest");
    return;
  }
  Local<v8::ObjectTemplate> shape = v8::ObjectTemplate::New(isolate);
  shape->SetInternalFieldCount(1);
  Local<Object> handle;
  // Fails only when JavaScript cannot run any more (a terminating worker): nothing to return to.
  if (!shape->NewInstance(context).ToLocal(&handle) ||
      !handle->SetPrivate(context, StepsTag(isolate), v8::True(isolate)).FromMaybe(false)) {
    digests.ctx_free(ctx);
    return;
  }
  auto* steps = new Sha256Steps{ctx, v8::Global<Object>(isolate, handle)};
  steps->handle.SetWeak(steps, FreeSteps, v8::WeakCallbackType::kParameter);
  handle->SetAlignedPointerInInternalField(0, steps);
  info.GetReturnValue().Set(handle);
}

// The unfinished digest info[0] is the handle of, or null after a TypeError.
Sha256Steps* StepsOf(const FunctionCallbackInfo<Value>& info, const char* message) {
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  if (info.Length() < 1 || !info[0]->IsObject() ||
      !info[0].As<Object>()->HasPrivate(context, StepsTag(isolate)).FromMaybe(false)) {
    ThrowTypeError(isolate, message);
    return nullptr;
  }
  auto* steps = static_cast<Sha256Steps*>(info[0].As<Object>()->GetAlignedPointerFromInternalField(0));
  if (steps->ctx == nullptr) {
    ThrowTypeError(isolate, "sha256: this digest is already finished");
    return nullptr;
  }
  return steps;
}

// sha256Update(handle, bytes: Uint8Array): void
void Sha256Update(const FunctionCallbackInfo<Value>& info) {
  Sha256Steps* steps = StepsOf(info, "sha256Update: first argument must come from sha256Begin");
  if (steps == nullptr) return;
  if (info.Length() < 2 || !info[1]->IsUint8Array()) {
    ThrowTypeError(info.GetIsolate(), "sha256Update: second argument must be a Uint8Array");
    return;
  }
  std::shared_ptr<BackingStore> store;
  Local<Uint8Array> view = info[1].As<Uint8Array>();
  const uint8_t* data = BytesOf(view, &store);
  if (data != nullptr && NodeDigests().update(steps->ctx, data, view->ByteLength()) != 1) {
    ThrowTypeError(info.GetIsolate(), "sha256Update: OpenSSL's EVP_DigestUpdate failed");
  }
}

// sha256End(handle): Uint8Array (32 bytes); the handle cannot be used again
void Sha256End(const FunctionCallbackInfo<Value>& info) {
  Sha256Steps* steps = StepsOf(info, "sha256End: argument must come from sha256Begin");
  if (steps == nullptr) return;
  Local<ArrayBuffer> buffer = ArrayBuffer::New(info.GetIsolate(), 32);
  unsigned int size = 0;
  const Digests& digests = NodeDigests();
  bool ok = digests.final(steps->ctx, static_cast<unsigned char*>(buffer->Data()), &size) == 1 && size == 32;
  digests.ctx_free(steps->ctx);
  steps->ctx = nullptr;
  if (!ok) {
    ThrowTypeError(info.GetIsolate(), "sha256End: OpenSSL's EVP_DigestFinal_ex failed");
    return;
  }
  info.GetReturnValue().Set(Uint8Array::New(buffer, 0, 32));
}

// crc32(bytes: Uint8Array): number (uint32, as zlib.crc32)
void Crc32(const FunctionCallbackInfo<Value>& info) {
  std::shared_ptr<BackingStore> store;
  const uint8_t* data;
  size_t length;
  if (!ArgumentBytes(info, "crc32: argument must be a Uint8Array", &store, &data, &length)) return;
  unsigned long crc = length == 0 ? 0 : NodeDigests().crc32(0, data, length);
  info.GetReturnValue().Set(v8::Integer::NewFromUnsigned(info.GetIsolate(), static_cast<uint32_t>(crc)));
}

// installLoader(request: { serialized: Uint8Array, wireBytes: Uint8Array }): void
void InstallLoader(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  Local<Uint8Array> unused;
  v8::TryCatch try_catch(isolate);
  if (info.Length() < 1 || !info[0]->IsObject() ||
      !GetBytes(context, info[0].As<Object>(), "serialized", &unused) ||
      !GetBytes(context, info[0].As<Object>(), "wireBytes", &unused) ||
      !info[0].As<Object>()->SetPrivate(context, RequestTag(isolate), v8::True(isolate)).FromMaybe(false)) {
    // A getter that threw: its exception goes to the caller, as is.
    if (try_catch.HasCaught()) {
      try_catch.ReThrow();
      return;
    }
    ThrowTypeError(isolate,
                   "installLoader: argument must be { serialized: Uint8Array, wireBytes: Uint8Array }");
    return;
  }
  isolate->SetWasmStreamingCallback(LoaderCallback);
}

// restoreNodeStreaming(): boolean — false when Node's callback is unknown, in
// which case this addon's callback stays installed and forwards nothing.
void RestoreNodeStreaming(const FunctionCallbackInfo<Value>& info) {
  StreamingCallback node_callback = NodeStreamingCallback();
  if (node_callback != nullptr) info.GetIsolate()->SetWasmStreamingCallback(node_callback);
  info.GetReturnValue().Set(node_callback != nullptr);
}

}  // namespace cache_v8

// Context-aware: loads in the main thread and in worker threads.
NODE_MODULE_INIT(/* exports, module, context */) {
  using namespace cache_v8;
  Isolate* isolate = context->GetIsolate();
  // `exports` is the caller's object (process.dlopen takes any): defined as data properties, so no
  // setter of its runs; a refusal (a frozen object, a throwing Proxy trap) leaves the rest out, and
  // its exception, if any, is thrown by dlopen.
  bool ok = true;
  auto set = [&](const char* name, Local<Value> value) {
    ok = ok && !value.IsEmpty() && exports->CreateDataProperty(context, Str(isolate, name), value).FromMaybe(false);
  };
  auto function = [&](v8::FunctionCallback callback) -> Local<Value> {
    return v8::Function::New(context, callback).FromMaybe(Local<v8::Function>());
  };
  set("serialize", function(Serialize));
  set("installLoader", function(InstallLoader));
  set("restoreNodeStreaming", function(RestoreNodeStreaming));
  set("canRestoreNodeStreaming", Boolean::New(isolate, NodeStreamingCallback() != nullptr));
  set("nodeStreamingSymbol", Str(isolate, kNodeStreamingSymbol));
  set("cachedDataVersionTag", function(CachedDataVersionTag));
  const Digests& digests = NodeDigests();
  if (digests.HasSha256()) {
    set("sha256", function(Sha256));
    set("sha256Each", function(Sha256Each));
  }
  set("threads", v8::Integer::NewFromUnsigned(isolate, uv_available_parallelism()));
  if (digests.HasSha256Steps()) {
    set("sha256Begin", function(Sha256Begin));
    set("sha256Update", function(Sha256Update));
    set("sha256End", function(Sha256End));
  }
  if (digests.crc32 != nullptr) set("crc32", function(Crc32));
}
