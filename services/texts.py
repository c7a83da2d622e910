"""Every user-facing string in one place (the seeds' wording), looked up by key.

Pages, services, emails and SMS texts all call `t(key, **values)`; translation hooks in here.
"""

from __future__ import annotations

RU: dict[str, str] = {
    # labels (seed wording)
    'label.login': 'Логин',
    'label.password': 'Пароль',
    'label.password_confirm': 'Подтверждение пароля',
    'label.new_password': 'Новый пароль',
    'label.email': 'Email',
    'label.phone': 'Телефон',
    'label.surname': 'Фамилия',
    'label.account_number': 'Номер лицевого счёта',
    'label.code': 'Код подтверждения',
    'label.login_or_account': 'Логин или номер лицевого счёта',
    'tab.by_email': 'По электронной почте',
    'tab.by_sms': 'По SMS',
    'button.get_code': 'Получить код',
    'button.send_sms': 'Отправить смс',
    'button.ok': 'ОК',
    'button.register': 'Зарегистрироваться',
    'button.save': 'Сохранить',
    'button.login': 'Войти',
    'button.logout': 'Выйти',
    'button.continue': 'Продолжить',
    'button.confirm_email': 'Подтвердить регистрацию',
    'button.reset': 'Восстановить',
    'button.set_password': 'Сохранить пароль',
    'mark.confirmed': 'Подтверждено',
    'link.register': 'Еще нет аккаунта? Зарегистрируйтесь',
    'link.forgot': 'Забыли пароль?',
    'link.to_login': 'Вернуться ко входу',
    'consent.label': 'Я согласен(а) на обработку моих персональных данных на условиях Политики обработки '
    'персональных данных',
    'title.login': 'Вход в личный кабинет',
    'title.first_entry': 'Первый вход по лицевому счёту',
    'title.first_entry_hint': 'Если вы ещё не зарегистрированы: номер лицевого счёта и фамилия владельца '
    '(без инициалов), как в квитанции.',
    'title.register': 'Регистрация',
    'title.register_account': 'Регистрация по лицевому счёту {number}',
    'title.confirm': 'Подтверждение регистрации',
    'title.forgot': 'Восстановление пароля',
    'title.reset': 'Новый пароль',
    'title.home': 'Личный кабинет',
    'title.demo_mail': 'Демо-почта: письма и СМС',
    'hint.login_rules': 'От 3 до 32 символов: буквы, цифры, точка, дефис, подчёркивание; начинается с буквы',
    'hint.password_rules': 'От {min} до {max} символов',
    'hint.phone': 'Например, +7 900 123-45-67',
    'hint.phone_optional': 'Необязательно. Например, +7 900 123-45-67',
    'title.confirm_by_email_hint': 'После нажатия кнопки на ваш Email придёт письмо со ссылкой для подтверждения '
    'регистрации. Ссылка действует 24 часа.',
    'hint.atom_both': 'Для регистрации подтвердите телефон кодом из SMS, а затем адрес почты по ссылке из письма.',
    'hint.forgot': 'Укажите логин или номер лицевого счёта. Ссылка для смены пароля придёт на email кабинета, '
    'а если телефон подтверждён — ещё и код по SMS.',
    # results
    'done.registered_email': 'Почти готово! На {email} отправлено письмо со ссылкой. Перейдите по ней, '
    'чтобы подтвердить регистрацию. Ссылка действует 24 часа.',
    'done.registered_active': 'Регистрация завершена. Теперь войдите с логином и паролем.',
    'done.confirmed': 'Регистрация подтверждена. Теперь вы можете войти в личный кабинет.',
    'done.code_sent': 'Код отправлен на {phone}.',
    'done.reset_requested': 'Если такой кабинет есть, мы отправили ссылку для смены пароля на его email, '
    'а на подтверждённый телефон — код. Ссылка действует 60 минут.',
    'done.password_changed': 'Пароль изменён. Войдите с новым паролем.',
    'home.welcome': 'Вы вошли как {login}.',
    'home.accounts': 'Лицевые счета',
    'home.no_accounts': 'К кабинету пока не привязан ни один лицевой счёт.',
    # errors at fields
    'error.required': 'Заполните это поле',
    'error.login_format': 'Логин — от 3 до 32 символов: буквы, цифры, «.», «_», «-»; первый символ — буква',
    'error.login_taken': 'Этот логин уже занят',
    'error.password_short': 'Пароль должен быть не короче {min} символов',
    'error.password_long': 'Пароль должен быть не длиннее {max} символов',
    'error.password_common': 'Этот пароль слишком распространён — придумайте другой',
    'error.password_like_login': 'Пароль не должен совпадать с логином или email',
    'error.password_mismatch': 'Пароли не совпадают',
    'error.email_format': 'Неверный адрес электронной почты',
    'error.email_quota': 'На один адрес электронной почты можно зарегистрировать не более {limit} лицевых счетов',
    'error.phone_format': 'Неверный номер телефона',
    'error.phone_country': 'SMS можно отправить только на номера с кодом {codes}',
    'error.phone_taken': 'Этот телефон уже подтверждён в другом кабинете',
    'error.code_format': 'Код — 6 цифр из SMS',
    'error.code_wrong': 'Неверный код. Осталось попыток: {left}',
    'error.code_dead': 'Код больше не действует — запросите новый',
    'error.code_needed': 'Подтвердите телефон кодом из SMS',
    'error.code_resend_wait': 'Новый код можно запросить через {seconds} с',
    'error.code_resend_limit': 'Код запрашивался слишком много раз — попробуйте позже',
    'error.sms_limit': 'Слишком много SMS на этот номер — попробуйте позже',
    'error.sms_ip_limit': 'Слишком много запросов SMS — попробуйте позже',
    'error.consent_required': 'Без согласия на обработку персональных данных регистрация невозможна',
    'error.account_or_surname': 'Лицевой счёт с такой фамилией не найден. Проверьте номер и фамилию по квитанции',
    'error.account_registered': 'Этот лицевой счёт уже зарегистрирован. Войдите с паролем или восстановите его: '
    '«Забыли пароль?»',
    'error.surname_mismatch': 'Фамилия не совпадает с владельцем лицевого счёта',
    'error.login_failed': 'Неверный логин или пароль',
    'error.not_confirmed': 'Регистрация ещё не подтверждена: перейдите по ссылке из письма',
    'error.too_many_logins': 'Слишком много попыток входа. Повторите через {minutes} мин.',
    'error.too_many_attempts': 'Слишком много попыток. Повторите позже',
    'error.link_invalid': 'Ссылка недействительна: она устарела или уже использована. '
    'Если регистрация не подтверждена вовремя, пройдите её заново.',
    'error.profile_off': 'Этот способ регистрации отключён',
    'error.session_expired': 'Сеанс истёк — войдите снова',
    'error.busy': 'Запрос уже выполняется',
    'error.unexpected': 'Что-то пошло не так. Попробуйте ещё раз',
    # emails and SMS
    'mail.confirm.subject': 'Подтверждение регистрации в личном кабинете',
    'mail.confirm.title': 'Подтвердите регистрацию',
    'mail.confirm.line1': 'Вы зарегистрировались в личном кабинете, ваш логин: {login}.',
    'mail.confirm.line2': 'Чтобы подтвердить регистрацию и адрес электронной почты, перейдите по ссылке и нажмите '
    'кнопку на открывшейся странице. Ссылка действует 24 часа.',
    'mail.confirm.line3': 'Если вы не регистрировались, ничего делать не нужно: без подтверждения регистрация '
    'будет удалена.',
    'mail.confirm.action': 'Подтвердить регистрацию',
    'mail.reset.subject': 'Восстановление пароля в личном кабинете',
    'mail.reset.title': 'Восстановление пароля',
    'mail.reset.line1': 'Для кабинета с логином {login} запрошена смена пароля.',
    'mail.reset.line2': 'Чтобы задать новый пароль, перейдите по ссылке. Ссылка действует 60 минут '
    'и сработает один раз.',
    'mail.reset.line3': 'Если вы не запрашивали смену пароля, просто не обращайте внимания на это письмо.',
    'mail.reset.action': 'Задать новый пароль',
    'mail.password_changed.subject': 'Пароль личного кабинета изменён',
    'mail.password_changed.title': 'Пароль изменён',
    'mail.password_changed.line1': 'Пароль кабинета с логином {login} только что изменён, все сеансы завершены.',
    'mail.password_changed.line2': 'Если это были не вы, сразу восстановите пароль через «Забыли пароль?» '
    'и обратитесь в контактный центр.',
    # --- personal accounts: linking (services/linking.py) ---
    # --- account overview and bills (services/overview.py, services/bill_pdf.py) ---
    # --- profile changes (services/profile.py) ---
    # --- settings and header screens (pages) ---
    'sms.code': '{code} — код подтверждения, {brand}. Никому не сообщайте.',
    'sms.reset_code': '{code} — код для смены пароля, {brand}. Никому не сообщайте.',
}


def t(key: str, **values: object) -> str:
    text = RU[key]
    return text.format(**values) if values else text
