"""学时验证: the cycle verification for a title application and its printed sheet."""
