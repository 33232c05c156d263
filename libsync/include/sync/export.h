/* libsync — symbol visibility. Internal only in meaning; installed because every public header uses it. */
#ifndef SYNC_EXPORT_H
#define SYNC_EXPORT_H

#if defined(SYNC_STATIC_DEFINE)
#  define SYNC_API
#elif defined(_WIN32)
#  ifdef SYNC_BUILDING_LIBRARY
#    define SYNC_API __declspec(dllexport)
#  else
#    define SYNC_API __declspec(dllimport)
#  endif
#else
#  define SYNC_API __attribute__((visibility("default")))
#endif

#endif
