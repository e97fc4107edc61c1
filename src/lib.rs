//! archsim
