# Makes `find_package(stash)` and `pkg-config --cflags --libs stash` work for
# downstream projects after `cmake --install`. Every library registered with
# stash_install_library (cmake/StashHelpers.cmake) has already installed
# itself and its own headers; this exports them.
include(CMakePackageConfigHelpers)

get_property(STASH_INSTALLED_LIBRARIES GLOBAL PROPERTY STASH_INSTALLED_LIBRARIES)
# What the package config must find again for the installed targets.
foreach(lib stash_sqlite stash_postgres stash_etcd stash_conformance stash_conformance_gtest)
  string(TOUPPER ${lib} upper)
  if(${lib} IN_LIST STASH_INSTALLED_LIBRARIES)
    set(${upper}_INSTALLED ON)
  else()
    set(${upper}_INSTALLED OFF)
  endif()
endforeach()

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

# stash.pc: stash::open and every backend of this build (not the kit). The
# libraries are static, so their dependencies are public.
set(STASH_PC_LIBS "")
foreach(lib stash_open stash_sqlite stash_postgres stash_etcd stash_durable_memory stash_crc32c stash_model)
  if(lib IN_LIST STASH_INSTALLED_LIBRARIES)
    string(APPEND STASH_PC_LIBS " -l${lib}")
  endif()
endforeach()
set(STASH_PC_REQUIRES "")
if(STASH_SQLITE_INSTALLED)
  string(APPEND STASH_PC_REQUIRES " sqlite3")
endif()
if(STASH_POSTGRES_INSTALLED)
  string(APPEND STASH_PC_REQUIRES " libpq")
endif()
if(STASH_ETCD_INSTALLED)  # stash_etcd links gRPC C++ and protobuf
  string(APPEND STASH_PC_REQUIRES " grpc++ protobuf")
endif()
file(RELATIVE_PATH STASH_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(cmake/stash.pc.in ${CMAKE_CURRENT_BINARY_DIR}/stash.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/stash.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/stash)
