//! Image metadata: the security block and the directory-entry tree.
