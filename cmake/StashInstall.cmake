# Makes `find_package(stash)` work for downstream projects after
# `cmake --install`.
include(CMakePackageConfigHelpers)

install(DIRECTORY model/include/stash DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The durable MemoryStash's headers (stash/durable_memory_stash.h, stash/env.h).
install(DIRECTORY impl/durable_memory/include/stash DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The SQLite backend's header; its config then needs SQLite3.
if(TARGET stash_sqlite)
  install(FILES impl/sqlite/include/stash/sqlite_stash.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/stash)
  set(STASH_INSTALL_SQLITE ON)
else()
  set(STASH_INSTALL_SQLITE OFF)
endif()
# The PostgreSQL backend's headers; its config then needs libpq.
if(TARGET stash_postgres)
  install(FILES impl/postgres/include/stash/postgres_stash.h
                impl/postgres/include/stash/postgres_connection.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/stash)
  set(STASH_INSTALL_POSTGRES ON)
else()
  set(STASH_INSTALL_POSTGRES OFF)
endif()
# The conformance kit (built with the tests) is installed too, so a backend
# written elsewhere can run it; its config then needs GTest and RapidCheck.
if(TARGET stash_conformance)
  install(DIRECTORY properties/include/stash DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set(STASH_INSTALL_CONFORMANCE ON)
else()
  set(STASH_INSTALL_CONFORMANCE OFF)
endif()
install(TARGETS ${STASH_INSTALL_TARGETS} EXPORT stashTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT stashTargets NAMESPACE stash::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/stash)
configure_package_config_file(cmake/stashConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/stashConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/stash)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/stashConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/stashConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/stashConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/stash)
