"""Write the shipped sample dataset (synthetic) as CSV files.

    python scripts/make_sample_data.py [OUT_DIR]        # default: bot/data/sample

The apps, their names and categories are real; every number (reach, audience shares, segment sizes and confidences)
is synthetic. Audience shares start from a per-category prior, take a per-app skew where the app's real audience is
well known, then get a little seeded noise, so the output is plausible, internally consistent and byte-for-byte
reproducible. Pure standard library so it runs anywhere the repository is checked out.
"""

from __future__ import annotations

import csv
import random
import re
import sys
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

SEED = 20240611
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "bot" / "data" / "sample"

AGE_BUCKETS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55+")
GENDER_BUCKETS: tuple[str, ...] = ("female", "male")

# Internet users aged 18+ across the market; segments and apps are read relative to this baseline.
POPULATION_AGE: tuple[float, ...] = (0.16, 0.23, 0.23, 0.19, 0.19)
POPULATION_FEMALE = 0.51

AgeProfile = tuple[float, float, float, float, float]

# category -> (age weights over AGE_BUCKETS, female share). Weights need not sum to 1; they are normalised.
CATEGORY_PRIORS: dict[str, tuple[AgeProfile, float]] = {
    "social": ((0.24, 0.30, 0.22, 0.14, 0.10), 0.52),
    "messaging": ((0.15, 0.23, 0.23, 0.20, 0.19), 0.51),
    "short_video": ((0.26, 0.28, 0.21, 0.14, 0.11), 0.50),
    "video_streaming": ((0.22, 0.30, 0.23, 0.15, 0.10), 0.50),
    "music": ((0.30, 0.32, 0.19, 0.12, 0.07), 0.50),
    "ecommerce": ((0.17, 0.31, 0.27, 0.16, 0.09), 0.58),
    "food_delivery": ((0.26, 0.38, 0.21, 0.10, 0.05), 0.53),
    "ride_hailing": ((0.18, 0.34, 0.26, 0.14, 0.08), 0.50),
    "travel": ((0.14, 0.33, 0.28, 0.15, 0.10), 0.54),
    "maps_navigation": ((0.15, 0.27, 0.25, 0.18, 0.15), 0.46),
    "fitness": ((0.22, 0.36, 0.24, 0.12, 0.06), 0.47),
    "health_medical": ((0.10, 0.24, 0.25, 0.21, 0.20), 0.58),
    "payments": ((0.15, 0.30, 0.26, 0.17, 0.12), 0.50),
    "investing": ((0.08, 0.24, 0.28, 0.23, 0.17), 0.36),
    "news": ((0.07, 0.17, 0.24, 0.25, 0.27), 0.44),
    "reading": ((0.20, 0.28, 0.23, 0.16, 0.13), 0.57),
    "education": ((0.38, 0.28, 0.18, 0.10, 0.06), 0.56),
    "mobile_games": ((0.35, 0.36, 0.17, 0.08, 0.04), 0.32),
    "casual_games": ((0.12, 0.22, 0.25, 0.21, 0.20), 0.62),
    "photo_video": ((0.34, 0.33, 0.18, 0.10, 0.05), 0.66),
    "beauty": ((0.28, 0.38, 0.21, 0.09, 0.04), 0.84),
    "parenting": ((0.06, 0.48, 0.35, 0.08, 0.03), 0.80),
    "pets": ((0.18, 0.36, 0.26, 0.13, 0.07), 0.66),
    "productivity": ((0.14, 0.38, 0.29, 0.14, 0.05), 0.47),
    "dating": ((0.33, 0.44, 0.15, 0.06, 0.02), 0.36),
    "home_living": ((0.08, 0.33, 0.31, 0.17, 0.11), 0.56),
    "automotive": ((0.07, 0.30, 0.33, 0.20, 0.10), 0.22),
    "jobs": ((0.30, 0.42, 0.18, 0.08, 0.02), 0.52),
    "local_reviews": ((0.22, 0.37, 0.23, 0.11, 0.07), 0.56),
    "sports": ((0.22, 0.32, 0.23, 0.14, 0.09), 0.24),
    "anime_comics": ((0.46, 0.32, 0.13, 0.06, 0.03), 0.45),
    # Users of kids' apps in an 18+ panel are the parents who install them.
    "kids": ((0.04, 0.36, 0.45, 0.10, 0.05), 0.68),
}

# (app_id, name, category, aliases separated by "|", reach or None).
# name: the app's usual name in its home market (Simplified for mainland apps, Traditional for Taiwanese apps,
# English for global ones); aliases: romanised/English name, the other Chinese script, common short forms.
# reach: share of the app's main market that uses it (synthetic).
APPS: tuple[tuple[str, str, str, str, float | None], ...] = (
    # social
    ("facebook", "Facebook", "social", "FB|臉書|脸书", 0.78),
    ("instagram", "Instagram", "social", "IG|Insta", 0.62),
    ("threads", "Threads", "social", "", 0.30),
    ("twitter", "X", "social", "Twitter|推特", 0.14),
    ("xiaohongshu", "小红书", "social", "Xiaohongshu|RED|小紅書|XHS|RedNote", 0.36),
    ("weibo", "微博", "social", "Weibo|Sina Weibo|新浪微博", 0.45),
    ("douban", "豆瓣", "social", "Douban", 0.09),
    ("zhihu", "知乎", "social", "Zhihu", 0.24),
    ("tieba", "百度贴吧", "social", "Baidu Tieba|百度貼吧|贴吧|貼吧", 0.15),
    ("dcard", "Dcard", "social", "", 0.28),
    ("ptt", "PTT", "social", "批踢踢|批踢踢實業坊|批踢踢实业坊", 0.22),
    ("plurk", "噗浪", "social", "Plurk", 0.03),
    ("pinterest", "Pinterest", "social", "", 0.10),
    ("lemon8", "Lemon8", "social", "", None),
    # messaging
    ("line", "LINE", "messaging", "LINE Messenger", 0.90),
    ("wechat", "微信", "messaging", "WeChat|Weixin", 0.88),
    ("qq", "QQ", "messaging", "Tencent QQ|腾讯QQ|騰訊QQ", 0.45),
    ("messenger", "Messenger", "messaging", "Facebook Messenger|FB Messenger", 0.40),
    ("whatsapp", "WhatsApp", "messaging", "", 0.12),
    ("telegram", "Telegram", "messaging", "TG|電報|电报", 0.10),
    ("discord", "Discord", "messaging", "", 0.12),
    # short_video
    ("douyin", "抖音", "short_video", "Douyin", 0.62),
    ("tiktok", "TikTok", "short_video", "Tik Tok", 0.28),
    ("kuaishou", "快手", "short_video", "Kuaishou", 0.45),
    ("xigua", "西瓜视频", "short_video", "Xigua Video|西瓜視頻", 0.20),
    ("weishi", "微视", "short_video", "Weishi|微視", 0.05),
    ("likee", "Likee", "short_video", "", None),
    # video_streaming
    ("youtube", "YouTube", "video_streaming", "YT|油管", 0.86),
    ("netflix", "Netflix", "video_streaming", "網飛|网飞", 0.38),
    ("disney_plus", "Disney+", "video_streaming", "Disney Plus|迪士尼+", 0.12),
    ("iqiyi", "爱奇艺", "video_streaming", "iQIYI|愛奇藝", 0.40),
    ("tencent_video", "腾讯视频", "video_streaming", "Tencent Video|騰訊視頻", 0.42),
    ("youku", "优酷", "video_streaming", "Youku|優酷", 0.25),
    ("mgtv", "芒果TV", "video_streaming", "Mango TV|MGTV", 0.20),
    ("bilibili", "哔哩哔哩", "video_streaming", "Bilibili|嗶哩嗶哩|B站", 0.30),
    ("line_tv", "LINE TV", "video_streaming", "", 0.18),
    ("friday_video", "friDay影音", "video_streaming", "friDay Video", 0.08),
    ("kktv", "KKTV", "video_streaming", "", 0.07),
    ("catchplay", "CATCHPLAY+", "video_streaming", "CATCHPLAY|Catchplay Plus", 0.05),
    ("myvideo", "MyVideo", "video_streaming", "", 0.06),
    ("hami_video", "Hami Video", "video_streaming", "", 0.07),
    ("fourgtv", "4gTV", "video_streaming", "四季線上|四季线上", 0.05),
    ("twitch", "Twitch", "video_streaming", "", 0.05),
    ("huya", "虎牙直播", "video_streaming", "Huya|虎牙", 0.10),
    ("douyu", "斗鱼", "video_streaming", "Douyu|鬥魚", 0.08),
    # music
    ("kkbox", "KKBOX", "music", "", 0.30),
    ("spotify", "Spotify", "music", "", 0.28),
    ("apple_music", "Apple Music", "music", "", 0.10),
    ("youtube_music", "YouTube Music", "music", "YT Music", 0.14),
    ("line_music", "LINE MUSIC", "music", "", 0.08),
    ("streetvoice", "StreetVoice", "music", "街聲|街声", None),
    ("netease_music", "网易云音乐", "music", "NetEase Cloud Music|網易雲音樂|网易云|網易雲", 0.30),
    ("qq_music", "QQ音乐", "music", "QQ Music|QQ音樂", 0.40),
    ("kugou", "酷狗音乐", "music", "Kugou|酷狗音樂|酷狗", 0.30),
    ("kuwo", "酷我音乐", "music", "Kuwo|酷我音樂", 0.18),
    # ecommerce
    ("shopee", "蝦皮購物", "ecommerce", "Shopee|蝦皮|虾皮购物|虾皮", 0.62),
    ("momo", "momo購物", "ecommerce", "momo|momo購物網|momo购物", 0.45),
    ("pchome", "PChome 24h購物", "ecommerce", "PChome|PChome24h|PChome 24h购物", 0.30),
    ("yahoo_shopping", "Yahoo購物中心", "ecommerce", "Yahoo Shopping|Yahoo奇摩購物中心|Yahoo购物中心", 0.15),
    ("ruten", "露天拍賣", "ecommerce", "Ruten|露天拍卖|露天", 0.10),
    ("coupang", "Coupang", "ecommerce", "酷澎", 0.14),
    ("carousell", "Carousell", "ecommerce", "旋轉拍賣|旋转拍卖", 0.06),
    ("carrefour", "家樂福", "ecommerce", "Carrefour|家乐福", 0.15),
    ("taobao", "淘宝", "ecommerce", "Taobao|淘寶|手机淘宝|手機淘寶", 0.70),
    ("tmall", "天猫", "ecommerce", "Tmall|天貓", 0.40),
    ("jd", "京东", "ecommerce", "JD.com|京東|JD", 0.45),
    ("pinduoduo", "拼多多", "ecommerce", "Pinduoduo|PDD", 0.60),
    ("xianyu", "闲鱼", "ecommerce", "Xianyu|閒魚|Idle Fish", 0.25),
    ("dewu", "得物", "ecommerce", "Dewu|Poizon", 0.10),
    ("vipshop", "唯品会", "ecommerce", "Vipshop|唯品會", 0.15),
    ("temu", "Temu", "ecommerce", "", 0.08),
    ("shein", "SHEIN", "ecommerce", "", 0.07),
    ("amazon", "Amazon", "ecommerce", "Amazon Shopping|亚马逊|亞馬遜", 0.10),
    # food_delivery
    ("foodpanda", "foodpanda", "food_delivery", "Food Panda|熊貓外送|熊猫外卖", 0.42),
    ("uber_eats", "Uber Eats", "food_delivery", "UberEats|優食|优食", 0.40),
    ("meituan", "美团", "food_delivery", "Meituan|美團", 0.55),
    ("meituan_waimai", "美团外卖", "food_delivery", "Meituan Waimai|美團外賣", 0.30),
    ("eleme", "饿了么", "food_delivery", "Ele.me|Eleme|餓了麼", 0.38),
    ("hema", "盒马", "food_delivery", "Freshippo|Hema|盒馬", 0.10),
    ("dingdong", "叮咚买菜", "food_delivery", "Dingdong Maicai|叮咚買菜", 0.08),
    ("mcdonalds", "麥當勞", "food_delivery", "McDonald's|McDonalds|麦当劳", 0.20),
    ("starbucks", "Starbucks", "food_delivery", "星巴克", 0.18),
    ("luckin", "瑞幸咖啡", "food_delivery", "Luckin Coffee|瑞幸", 0.22),
    # ride_hailing (and shared mobility)
    ("uber", "Uber", "ride_hailing", "優步|优步", 0.30),
    ("didi", "滴滴出行", "ride_hailing", "DiDi|滴滴", 0.40),
    ("taiwan_taxi", "台灣大車隊", "ride_hailing", "Taiwan Taxi|55688|台湾大车队", 0.20),
    ("yoxi", "yoxi", "ride_hailing", "", 0.06),
    ("caocao", "曹操出行", "ride_hailing", "Caocao", 0.04),
    ("hellobike", "哈啰", "ride_hailing", "Hello Bike|哈囉|哈啰出行|哈囉出行", 0.18),
    ("youbike", "YouBike", "ride_hailing", "YouBike 2.0|微笑單車|微笑单车", 0.30),
    ("wemo", "WeMo Scooter", "ride_hailing", "WeMo", None),
    ("goshare", "GoShare", "ride_hailing", "", None),
    ("irent", "iRent", "ride_hailing", "", 0.03),
    ("grab", "Grab", "ride_hailing", "", 0.03),
    # travel
    ("agoda", "Agoda", "travel", "", 0.25),
    ("booking", "Booking.com", "travel", "Booking", 0.22),
    ("trip", "Trip.com", "travel", "", 0.15),
    ("ctrip", "携程旅行", "travel", "Ctrip|攜程旅行|携程|攜程", 0.35),
    ("klook", "Klook", "travel", "客路", 0.18),
    ("kkday", "KKday", "travel", "", 0.16),
    ("airbnb", "Airbnb", "travel", "愛彼迎|爱彼迎", 0.12),
    ("skyscanner", "Skyscanner", "travel", "天巡", 0.08),
    ("expedia", "Expedia", "travel", "智遊網|智游网", 0.05),
    ("thsr", "台灣高鐵 T Express", "travel", "T Express|台灣高鐵|台湾高铁|高鐵|高铁|THSR", 0.30),
    ("tra", "台鐵e訂通", "travel", "台铁e订通|TR e-Booking|台鐵", 0.18),
    ("railway12306", "铁路12306", "travel", "12306|China Railway 12306|鐵路12306", 0.50),
    ("fliggy", "飞猪旅行", "travel", "Fliggy|飛豬旅行|飞猪|飛豬", 0.18),
    ("qunar", "去哪儿旅行", "travel", "Qunar|去哪兒旅行|去哪儿|去哪兒", 0.15),
    ("tongcheng", "同程旅行", "travel", "Tongcheng|LY.com", 0.15),
    ("mafengwo", "马蜂窝", "travel", "Mafengwo|馬蜂窩", 0.05),
    ("eva_air", "長榮航空", "travel", "EVA Air|长荣航空", 0.06),
    ("china_airlines", "中華航空", "travel", "China Airlines|中华航空|華航|华航", 0.06),
    # maps_navigation
    ("google_maps", "Google Maps", "maps_navigation", "Google地圖|谷歌地图|谷歌地圖", 0.80),
    ("amap", "高德地图", "maps_navigation", "Amap|AutoNavi|高德地圖|高德", 0.60),
    ("baidu_maps", "百度地图", "maps_navigation", "Baidu Maps|百度地圖", 0.45),
    ("tencent_maps", "腾讯地图", "maps_navigation", "Tencent Maps|騰訊地圖", 0.08),
    ("waze", "Waze", "maps_navigation", "", 0.10),
    ("metro_taipei", "台北捷運Go", "maps_navigation", "Taipei Metro Go|台北捷运Go", 0.12),
    ("taipei_bus", "台北等公車", "maps_navigation", "Taipei Bus|台北等公车", 0.15),
    # fitness
    ("keep", "Keep", "fitness", "Keep健身", 0.14),
    ("strava", "Strava", "fitness", "", 0.05),
    ("nike_run_club", "Nike Run Club", "fitness", "NRC", 0.06),
    ("nike_training", "Nike Training Club", "fitness", "NTC", 0.04),
    ("adidas_running", "adidas Running", "fitness", "Runtastic", 0.03),
    ("myfitnesspal", "MyFitnessPal", "fitness", "MFP", 0.04),
    ("garmin_connect", "Garmin Connect", "fitness", "Garmin|佳明", 0.06),
    ("joyrun", "悦跑圈", "fitness", "Joyrun|悅跑圈", 0.03),
    ("codoon", "咕咚", "fitness", "Codoon", 0.04),
    ("world_gym", "World Gym", "fitness", "世界健身", 0.04),
    ("zwift", "Zwift", "fitness", "", None),
    ("komoot", "Komoot", "fitness", "", None),
    ("relive", "Relive", "fitness", "", 0.01),
    # health_medical
    ("nhi_express", "健保快易通", "health_medical", "NHI Express|健康存摺|健康存折", 0.40),
    ("huawei_health", "华为运动健康", "health_medical", "Huawei Health|華為運動健康", 0.20),
    ("haodf", "好大夫在线", "health_medical", "Haodf|好大夫在線|好大夫", 0.06),
    ("pingan_health", "平安健康", "health_medical", "Ping An Health|Ping An Good Doctor|平安好医生|平安好醫生", 0.08),
    ("dxy", "丁香医生", "health_medical", "DXY|丁香醫生", 0.07),
    ("meiyou", "美柚", "health_medical", "Meiyou", 0.10),
    ("flo", "Flo", "health_medical", "Flo Period Tracker", 0.05),
    ("fitbit", "Fitbit", "health_medical", "", 0.03),
    ("sleep_cycle", "Sleep Cycle", "health_medical", "", 0.02),
    ("calm", "Calm", "health_medical", "", 0.02),
    # payments (and mobile banking)
    ("line_pay", "LINE Pay", "payments", "", 0.45),
    ("jkopay", "街口支付", "payments", "JKOPAY|JKO Pay|街口", 0.30),
    ("pi_wallet", "Pi 拍錢包", "payments", "Pi Wallet|Pi拍钱包|拍錢包", 0.12),
    ("easy_wallet", "悠遊付", "payments", "Easy Wallet|悠游付", 0.15),
    ("icash_pay", "icash Pay", "payments", "", 0.08),
    ("taiwan_pay", "台灣Pay", "payments", "Taiwan Pay|台湾Pay", 0.10),
    ("ipass_money", "iPASS MONEY", "payments", "一卡通Money|一卡通", 0.07),
    ("cathay_cube", "國泰世華CUBE", "payments", "CUBE App|国泰世华CUBE|Cathay United Bank", 0.22),
    ("richart", "Richart", "payments", "台新Richart", 0.10),
    ("line_bank", "LINE Bank", "payments", "連線銀行|连线银行", 0.07),
    ("alipay", "支付宝", "payments", "Alipay|支付寶", 0.85),
    ("yunshanfu", "云闪付", "payments", "UnionPay QuickPass|雲閃付", 0.25),
    ("cmb", "招商银行", "payments", "China Merchants Bank|招商銀行|招行", 0.20),
    ("paypal", "PayPal", "payments", "", 0.08),
    # investing
    ("yahoo_stock", "Yahoo股市", "investing", "Yahoo Finance|Yahoo奇摩股市", 0.15),
    ("xq", "XQ全球贏家", "investing", "XQ|XQ全球赢家", 0.06),
    ("dawho", "大戶投", "investing", "DAWHO|大户投", 0.05),
    ("yuanta", "元大投資先生", "investing", "Yuanta|元大投资先生", 0.08),
    ("cmoney", "股市爆料同學會", "investing", "CMoney|股市爆料同学会", 0.07),
    ("futu", "富途牛牛", "investing", "Futu|Futu NiuNiu|moomoo|富途", 0.03),
    ("tiger", "老虎证券", "investing", "Tiger Brokers|Tiger Trade|老虎證券", 0.01),
    ("tonghuashun", "同花顺", "investing", "Tonghuashun|同花順|10jqka", 0.15),
    ("eastmoney", "东方财富", "investing", "East Money|東方財富", 0.12),
    ("xueqiu", "雪球", "investing", "Xueqiu|Snowball", 0.04),
    ("binance", "Binance", "investing", "幣安|币安", 0.03),
    ("tradingview", "TradingView", "investing", "", 0.03),
    # news
    ("line_today", "LINE TODAY", "news", "", 0.55),
    ("yahoo_news", "Yahoo新聞", "news", "Yahoo News|Yahoo奇摩新聞|Yahoo新闻", 0.30),
    ("google_news", "Google News", "news", "Google新聞|谷歌新闻", 0.18),
    ("udn", "聯合新聞網", "news", "udn|UDN News|联合新闻网", 0.08),
    ("ltn", "自由時報", "news", "Liberty Times|LTN|自由时报", 0.10),
    ("ettoday", "ETtoday新聞雲", "news", "ETtoday|ETtoday新闻云", 0.10),
    ("cna", "中央社", "news", "CNA|Central News Agency", 0.04),
    ("cw", "天下雜誌", "news", "CommonWealth Magazine|天下杂志", 0.03),
    ("toutiao", "今日头条", "news", "Toutiao|今日頭條|头条|頭條", 0.45),
    ("tencent_news", "腾讯新闻", "news", "Tencent News|騰訊新聞", 0.30),
    ("netease_news", "网易新闻", "news", "NetEase News|網易新聞", 0.15),
    ("the_paper", "澎湃新闻", "news", "The Paper|澎湃新聞|澎湃", 0.08),
    # reading
    ("readmoo", "Readmoo讀墨", "reading", "Readmoo|讀墨|读墨", 0.03),
    ("books_com_tw", "博客來", "reading", "Books.com.tw|博客来", 0.15),
    ("kobo", "樂天Kobo", "reading", "Rakuten Kobo|Kobo|乐天Kobo", 0.03),
    ("kindle", "Kindle", "reading", "Amazon Kindle", 0.03),
    ("pubu", "Pubu電子書城", "reading", "Pubu|Pubu电子书城", None),
    ("wechat_read", "微信读书", "reading", "WeChat Read|微信讀書", 0.12),
    ("qidian", "起点读书", "reading", "Qidian|起點讀書", 0.10),
    ("fanqie", "番茄免费小说", "reading", "Fanqie Novel|番茄免費小說|番茄小说|番茄小說", 0.20),
    ("himalaya", "喜马拉雅", "reading", "Ximalaya|Himalaya|喜馬拉雅", 0.15),
    ("dedao", "得到", "reading", "Dedao|iGet", 0.03),
    # education
    ("duolingo", "Duolingo", "education", "多鄰國|多邻国", 0.10),
    ("hahow", "Hahow好學校", "education", "Hahow|好學校|好学校", 0.03),
    ("junyi", "均一教育平台", "education", "Junyi Academy|均一", 0.04),
    ("voicetube", "VoiceTube", "education", "", 0.04),
    ("cambly", "Cambly", "education", "", None),
    ("quizlet", "Quizlet", "education", "", 0.03),
    ("coursera", "Coursera", "education", "", 0.02),
    ("google_classroom", "Google Classroom", "education", "", 0.08),
    ("zuoyebang", "作业帮", "education", "Zuoyebang|作業幫", 0.12),
    ("yuanfudao", "猿辅导", "education", "Yuanfudao|猿輔導", 0.05),
    ("baicizhan", "百词斩", "education", "Baicizhan|百詞斬", 0.06),
    ("youdao", "网易有道词典", "education", "Youdao Dictionary|網易有道詞典|有道词典|有道詞典|有道", 0.15),
    ("chaoxing", "学习通", "education", "Xuexitong|Chaoxing|學習通|超星学习通|超星學習通", 0.10),
    # mobile_games
    ("honor_of_kings", "王者荣耀", "mobile_games", "Honor of Kings|王者榮耀", 0.25),
    ("arena_of_valor", "傳說對決", "mobile_games", "Arena of Valor|AOV|传说对决", 0.12),
    ("peace_elite", "和平精英", "mobile_games", "Game for Peace", 0.18),
    ("pubg_mobile", "PUBG Mobile", "mobile_games", "PUBGM|絕地求生M|绝地求生M", 0.04),
    ("genshin", "原神", "mobile_games", "Genshin Impact|Genshin", 0.08),
    ("star_rail", "崩坏：星穹铁道", "mobile_games", "Honkai: Star Rail|崩壞：星穹鐵道|星穹铁道|星穹鐵道", 0.05),
    ("identity_v", "第五人格", "mobile_games", "Identity V", 0.05),
    ("lineage_m", "天堂M", "mobile_games", "Lineage M", 0.05),
    ("pokemon_go", "Pokémon GO", "mobile_games", "Pokemon GO|寶可夢GO|宝可梦GO", 0.07),
    ("fgo", "Fate/Grand Order", "mobile_games", "FGO|命運-冠位指定|命运-冠位指定", 0.03),
    ("clash_royale", "Clash Royale", "mobile_games", "皇室戰爭|皇室战争", 0.03),
    # casual_games
    ("candy_crush", "Candy Crush Saga", "casual_games", "Candy Crush|糖果傳奇|糖果传奇", 0.10),
    ("happy_elimination", "开心消消乐", "casual_games", "Happy Elimination|Anipop|開心消消樂", 0.15),
    ("royal_match", "Royal Match", "casual_games", "", 0.04),
    ("gardenscapes", "Gardenscapes", "casual_games", "夢幻花園|梦幻花园", 0.04),
    ("homescapes", "Homescapes", "casual_games", "夢幻家園|梦幻家园", 0.03),
    ("star31", "明星3缺1", "casual_games", "明星三缺一|Star31", 0.06),
    ("happy_landlord", "欢乐斗地主", "casual_games", "Happy Landlord|歡樂鬥地主|斗地主|鬥地主", 0.12),
    ("sheep_a_sheep", "羊了个羊", "casual_games", "Sheep a Sheep|羊了個羊", 0.04),
    ("eggy_party", "蛋仔派对", "casual_games", "Eggy Party|蛋仔派對", 0.10),
    ("subway_surfers", "Subway Surfers", "casual_games", "地鐵跑酷|地铁跑酷", 0.04),
    ("monopoly_go", "MONOPOLY GO!", "casual_games", "Monopoly Go", None),
    # photo_video
    ("meitu", "美图秀秀", "photo_video", "Meitu|美圖秀秀", 0.18),
    ("beautycam", "美颜相机", "photo_video", "BeautyCam|美顏相機", 0.08),
    ("xingtu", "醒图", "photo_video", "Xingtu|醒圖", 0.08),
    ("ulike", "轻颜相机", "photo_video", "Ulike|輕顏相機|轻颜", 0.05),
    ("jianying", "剪映", "photo_video", "JianYing", 0.20),
    ("capcut", "CapCut", "photo_video", "", 0.12),
    ("b612", "B612", "photo_video", "", 0.06),
    ("snow", "SNOW", "photo_video", "", 0.05),
    ("vsco", "VSCO", "photo_video", "", 0.04),
    ("lightroom", "Adobe Lightroom", "photo_video", "Lightroom", 0.03),
    ("snapseed", "Snapseed", "photo_video", "", 0.03),
    ("google_photos", "Google Photos", "photo_video", "Google相簿|Google相册", 0.25),
    # beauty
    ("cosme", "@cosme", "beauty", "UrCosme|cosme", 0.05),
    ("watsons", "屈臣氏", "beauty", "Watsons", 0.15),
    ("cosmed", "康是美", "beauty", "Cosmed", 0.08),
    ("poya", "寶雅", "beauty", "POYA|宝雅", 0.08),
    ("sephora", "Sephora", "beauty", "絲芙蘭|丝芙兰", 0.03),
    ("youcam_makeup", "YouCam Makeup", "beauty", "玩美彩妝|玩美彩妆", 0.05),
    ("soyoung", "新氧", "beauty", "So-Young|新氧医美|新氧醫美", 0.04),
    ("gengmei", "更美", "beauty", "Gengmei", 0.02),
    # parenting
    ("babytree", "宝宝树孕育", "parenting", "Babytree|宝宝树|寶寶樹|寶寶樹孕育", 0.06),
    ("qinbaobao", "亲宝宝", "parenting", "Qinbaobao|親寶寶", 0.05),
    ("babycenter", "BabyCenter", "parenting", "", 0.03),
    ("parenting_cw", "親子天下", "parenting", "CommonWealth Parenting|亲子天下", 0.03),
    ("babyhome", "BabyHome", "parenting", "寶貝家庭親子網|宝贝家庭亲子网", 0.02),
    ("mamibuy", "媽咪拜", "parenting", "MamiBuy|妈咪拜", 0.02),
    ("huckleberry", "Huckleberry", "parenting", "", None),
    ("pregnancy_plus", "Pregnancy+", "parenting", "Pregnancy Plus", None),
    # pets
    ("boqii", "波奇宠物", "pets", "Boqii|波奇寵物", 0.02),
    ("petkit", "小佩宠物", "pets", "PETKIT|小佩寵物", 0.02),
    ("furbo", "Furbo", "pets", "Furbo Dog Camera", 0.02),
    ("tractive", "Tractive", "pets", "Tractive GPS", None),
    ("petcube", "Petcube", "pets", "", None),
    # productivity
    ("notion", "Notion", "productivity", "", 0.05),
    ("slack", "Slack", "productivity", "", 0.04),
    ("microsoft_teams", "Microsoft Teams", "productivity", "Teams", 0.10),
    ("outlook", "Microsoft Outlook", "productivity", "Outlook", 0.12),
    ("gmail", "Gmail", "productivity", "", 0.45),
    ("google_drive", "Google Drive", "productivity", "Google雲端硬碟|Google云端硬盘", 0.25),
    ("office", "Microsoft 365", "productivity", "Office|Office 365|Microsoft Office", 0.15),
    ("zoom", "Zoom", "productivity", "", 0.12),
    ("evernote", "Evernote", "productivity", "印象笔记|印象筆記", 0.03),
    ("dingtalk", "钉钉", "productivity", "DingTalk|釘釘", 0.25),
    ("wecom", "企业微信", "productivity", "WeCom|WeChat Work|企業微信", 0.22),
    ("feishu", "飞书", "productivity", "Feishu|Lark|飛書", 0.08),
    ("tencent_meeting", "腾讯会议", "productivity", "Tencent Meeting|VooV Meeting|騰訊會議", 0.20),
    ("wps", "WPS Office", "productivity", "WPS", 0.25),
    ("camscanner", "扫描全能王", "productivity", "CamScanner|掃描全能王", 0.10),
    # dating
    ("tinder", "Tinder", "dating", "", 0.04),
    ("bumble", "Bumble", "dating", "", 0.01),
    ("pairs", "Pairs", "dating", "派愛族|派爱族", 0.03),
    ("coffee_meets_bagel", "Coffee Meets Bagel", "dating", "CMB", 0.01),
    ("hinge", "Hinge", "dating", "", None),
    ("tantan", "探探", "dating", "Tantan", 0.04),
    ("momo_social", "陌陌", "dating", "", 0.05),
    ("soul", "Soul", "dating", "Soul App", 0.06),
    # home_living (home, real estate, cooking)
    ("ikea", "IKEA", "home_living", "宜家|宜家家居", 0.08),
    ("mi_home", "米家", "home_living", "Mi Home|Xiaomi Home", 0.20),
    ("smart_life", "Smart Life", "home_living", "Tuya Smart|涂鸦智能|塗鴉智能", 0.04),
    ("hola", "HOLA特力和樂", "home_living", "HOLA|特力和樂|特力和乐", 0.02),
    ("icook", "愛料理", "home_living", "iCook|爱料理", 0.06),
    ("cookpad", "Cookpad", "home_living", "", 0.02),
    ("xiachufang", "下厨房", "home_living", "Xiachufang|下廚房", 0.06),
    ("haohaozhu", "好好住", "home_living", "Haohaozhu", 0.01),
    ("house591", "591房屋交易", "home_living", "591|591租屋|591房屋", 0.12),
    ("sinyi", "信義房屋", "home_living", "Sinyi Realty|信义房屋", 0.03),
    ("yungching", "永慶房屋", "home_living", "Yungching|永庆房屋", 0.03),
    ("lianjia", "链家", "home_living", "Lianjia|鏈家", 0.05),
    ("beike", "贝壳找房", "home_living", "Beike|Ke.com|貝殼找房", 0.10),
    ("anjuke", "安居客", "home_living", "Anjuke", 0.06),
    # automotive
    ("car8891", "8891中古車", "automotive", "8891|8891中古车", 0.04),
    ("autohome", "汽车之家", "automotive", "Autohome|汽車之家", 0.15),
    ("dongchedi", "懂车帝", "automotive", "Dongchedi|懂車帝", 0.20),
    ("yiche", "易车", "automotive", "Yiche|Bitauto|易車", 0.08),
    ("tuhu", "途虎养车", "automotive", "Tuhu|途虎養車", 0.06),
    ("gogoro", "Gogoro", "automotive", "", 0.06),
    ("tesla", "Tesla", "automotive", "特斯拉", 0.02),
    ("nio", "蔚来", "automotive", "NIO|蔚來", 0.01),
    ("xpeng", "小鹏汽车", "automotive", "XPeng|小鵬汽車|小鹏|小鵬", 0.01),
    ("li_auto", "理想汽车", "automotive", "Li Auto|理想汽車", 0.01),
    ("teld", "特来电", "automotive", "TELD|特來電", None),
    ("star_charge", "星星充电", "automotive", "Star Charge|星星充電", None),
    ("xiaoju_charge", "小桔充电", "automotive", "Xiaoju Charging|小桔充電", None),
    ("plugshare", "PlugShare", "automotive", "", None),
    # jobs
    ("job104", "104人力銀行", "jobs", "104|104 Job Bank|104人力银行", 0.20),
    ("job1111", "1111人力銀行", "jobs", "1111|1111人力银行", 0.08),
    ("job518", "518熊班", "jobs", "518|518人力銀行|518人力银行", 0.04),
    ("yourator", "Yourator", "jobs", "", None),
    ("cakeresume", "CakeResume", "jobs", "Cake", 0.02),
    ("linkedin", "LinkedIn", "jobs", "領英|领英", 0.10),
    ("indeed", "Indeed", "jobs", "", 0.04),
    ("boss_zhipin", "BOSS直聘", "jobs", "BOSS Zhipin", 0.15),
    ("zhaopin", "智联招聘", "jobs", "Zhaopin|智聯招聘", 0.08),
    ("job51", "前程无忧", "jobs", "51job|前程無憂", 0.06),
    ("maimai", "脉脉", "jobs", "Maimai|脈脈", 0.05),
    # local_reviews
    ("dianping", "大众点评", "local_reviews", "Dianping|大眾點評|点评|點評", 0.35),
    ("openrice", "OpenRice", "local_reviews", "開飯喇|开饭喇", 0.03),
    ("ifoodie", "愛食記", "local_reviews", "iFoodie|爱食记", 0.06),
    ("eztable", "EZTABLE簡單桌", "local_reviews", "EZTABLE|簡單桌|简单桌", 0.03),
    ("inline", "inline", "local_reviews", "", None),
    ("tripadvisor", "Tripadvisor", "local_reviews", "貓途鷹|猫途鹰", 0.05),
    ("tabelog", "Tabelog", "local_reviews", "食べログ", 0.02),
    # sports
    ("cpbltv", "CPBLTV", "sports", "CPBL TV|中華職棒|中华职棒", 0.05),
    ("elta", "ELTA TV", "sports", "愛爾達|爱尔达|愛爾達電視|爱尔达电视", 0.06),
    ("nba", "NBA", "sports", "NBA App", 0.05),
    ("espn", "ESPN", "sports", "", 0.02),
    ("fotmob", "FotMob", "sports", "", None),
    ("hupu", "虎扑", "sports", "Hupu|虎撲", 0.08),
    ("dongqiudi", "懂球帝", "sports", "Dongqiudi", 0.06),
    ("migu_video", "咪咕视频", "sports", "Migu Video|咪咕視頻", 0.10),
    ("tencent_sports", "腾讯体育", "sports", "Tencent Sports|騰訊體育", 0.08),
    # anime_comics
    ("bahamut_ani", "動畫瘋", "anime_comics", "Animation Crazy|巴哈姆特動畫瘋|动画疯", 0.12),
    ("bahamut", "巴哈姆特", "anime_comics", "Bahamut|巴哈", 0.10),
    ("webtoon", "LINE WEBTOON", "anime_comics", "Webtoon", 0.08),
    ("kuaikan", "快看漫画", "anime_comics", "Kuaikan|快看漫畫|快看", 0.08),
    ("tencent_comic", "腾讯动漫", "anime_comics", "Tencent Comics|騰訊動漫", 0.05),
    ("bilibili_comics", "哔哩哔哩漫画", "anime_comics", "Bilibili Comics|嗶哩嗶哩漫畫|B漫", 0.04),
    ("crunchyroll", "Crunchyroll", "anime_comics", "", 0.01),
    ("manga_plus", "MANGA Plus", "anime_comics", "MANGA Plus by SHUEISHA", None),
    ("bookwalker", "BOOK☆WALKER", "anime_comics", "BookWalker", 0.02),
    ("acfun", "AcFun", "anime_comics", "A站", 0.03),
    # kids
    ("youtube_kids", "YouTube Kids", "kids", "", 0.08),
    ("babybus", "宝宝巴士", "kids", "BabyBus|寶寶巴士", 0.06),
    ("xiaobanlong", "小伴龙", "kids", "Xiaobanlong|小伴龍", 0.02),
    ("hongen", "洪恩识字", "kids", "Hongen Literacy|洪恩識字", 0.03),
    ("pinkfong", "Pinkfong", "kids", "碰碰狐", 0.03),
    ("khan_kids", "Khan Academy Kids", "kids", "", 0.01),
    ("toca_boca", "Toca Boca World", "kids", "Toca Life World|Toca Boca", 0.02),
    ("lingokids", "Lingokids", "kids", "", None),
)

# Apps whose real audience departs clearly from their category: (age weights or None, female share or None).
APP_SKEWS: dict[str, tuple[AgeProfile | None, float | None]] = {
    "facebook": ((0.09, 0.22, 0.26, 0.22, 0.21), 0.53),
    "instagram": ((0.33, 0.36, 0.18, 0.09, 0.04), 0.56),
    "threads": ((0.30, 0.40, 0.19, 0.08, 0.03), 0.55),
    "twitter": ((0.34, 0.38, 0.17, 0.08, 0.03), 0.42),
    "xiaohongshu": ((0.38, 0.40, 0.14, 0.06, 0.02), 0.80),
    "weibo": ((0.30, 0.36, 0.20, 0.10, 0.04), 0.57),
    "douban": ((0.34, 0.40, 0.17, 0.07, 0.02), 0.58),
    "zhihu": ((0.28, 0.40, 0.20, 0.09, 0.03), 0.45),
    "tieba": ((0.36, 0.34, 0.18, 0.08, 0.04), 0.38),
    "dcard": ((0.62, 0.28, 0.07, 0.02, 0.01), 0.60),
    "ptt": ((0.15, 0.38, 0.30, 0.13, 0.04), 0.30),
    "plurk": ((0.26, 0.44, 0.22, 0.06, 0.02), 0.60),
    "pinterest": ((0.30, 0.38, 0.19, 0.09, 0.04), 0.76),
    "line": ((0.12, 0.21, 0.23, 0.21, 0.23), 0.51),
    "wechat": ((0.14, 0.24, 0.24, 0.20, 0.18), 0.49),
    "qq": ((0.40, 0.30, 0.16, 0.09, 0.05), 0.46),
    "telegram": ((0.28, 0.40, 0.20, 0.09, 0.03), 0.30),
    "discord": ((0.52, 0.32, 0.11, 0.04, 0.01), 0.34),
    "kuaishou": ((0.18, 0.26, 0.24, 0.18, 0.14), 0.47),
    "xigua": ((0.10, 0.20, 0.26, 0.24, 0.20), 0.42),
    "youtube": ((0.17, 0.25, 0.23, 0.18, 0.17), 0.49),
    "netflix": ((0.20, 0.34, 0.26, 0.13, 0.07), 0.55),
    "bilibili": ((0.50, 0.32, 0.12, 0.04, 0.02), 0.48),
    "huya": ((0.38, 0.38, 0.15, 0.06, 0.03), 0.22),
    "douyu": ((0.38, 0.38, 0.15, 0.06, 0.03), 0.24),
    "twitch": ((0.46, 0.36, 0.12, 0.04, 0.02), 0.28),
    "iqiyi": ((0.22, 0.32, 0.24, 0.14, 0.08), 0.56),
    "mgtv": ((0.30, 0.34, 0.20, 0.10, 0.06), 0.66),
    "kkbox": ((0.26, 0.33, 0.22, 0.12, 0.07), 0.53),
    "spotify": ((0.36, 0.36, 0.17, 0.08, 0.03), 0.50),
    "netease_music": ((0.44, 0.34, 0.13, 0.06, 0.03), 0.52),
    "kugou": ((0.22, 0.28, 0.24, 0.16, 0.10), 0.48),
    "pchome": ((0.10, 0.28, 0.29, 0.20, 0.13), 0.48),
    "momo": ((0.10, 0.27, 0.30, 0.20, 0.13), 0.60),
    "shopee": ((0.22, 0.33, 0.24, 0.13, 0.08), 0.60),
    "ruten": ((0.10, 0.28, 0.30, 0.20, 0.12), 0.40),
    "taobao": ((0.20, 0.32, 0.25, 0.15, 0.08), 0.60),
    "jd": ((0.14, 0.34, 0.28, 0.15, 0.09), 0.44),
    "pinduoduo": ((0.08, 0.22, 0.28, 0.22, 0.20), 0.60),
    "dewu": ((0.46, 0.36, 0.12, 0.04, 0.02), 0.38),
    "vipshop": ((0.12, 0.36, 0.30, 0.15, 0.07), 0.78),
    "shein": ((0.40, 0.36, 0.15, 0.06, 0.03), 0.82),
    "temu": ((0.16, 0.30, 0.26, 0.16, 0.12), 0.56),
    "meituan": ((0.20, 0.38, 0.25, 0.12, 0.05), 0.54),
    "hema": ((0.10, 0.40, 0.32, 0.12, 0.06), 0.64),
    "dingdong": ((0.08, 0.38, 0.32, 0.14, 0.08), 0.66),
    "mcdonalds": ((0.34, 0.34, 0.18, 0.09, 0.05), 0.50),
    "starbucks": ((0.20, 0.40, 0.24, 0.11, 0.05), 0.62),
    "luckin": ((0.34, 0.46, 0.14, 0.04, 0.02), 0.55),
    "uber": ((0.16, 0.40, 0.26, 0.12, 0.06), 0.50),
    "didi": ((0.14, 0.38, 0.28, 0.13, 0.07), 0.52),
    "taiwan_taxi": ((0.08, 0.22, 0.26, 0.22, 0.22), 0.56),
    "youbike": ((0.34, 0.32, 0.16, 0.10, 0.08), 0.52),
    "hellobike": ((0.32, 0.36, 0.18, 0.09, 0.05), 0.46),
    "grab": ((0.14, 0.42, 0.28, 0.11, 0.05), 0.48),
    "thsr": ((0.16, 0.32, 0.26, 0.16, 0.10), 0.48),
    "tra": ((0.22, 0.26, 0.22, 0.16, 0.14), 0.50),
    "railway12306": ((0.18, 0.30, 0.24, 0.16, 0.12), 0.48),
    "ctrip": ((0.12, 0.38, 0.30, 0.13, 0.07), 0.52),
    "klook": ((0.24, 0.42, 0.22, 0.08, 0.04), 0.60),
    "kkday": ((0.22, 0.42, 0.23, 0.09, 0.04), 0.61),
    "airbnb": ((0.22, 0.44, 0.22, 0.08, 0.04), 0.55),
    "eva_air": ((0.10, 0.30, 0.28, 0.19, 0.13), 0.50),
    "china_airlines": ((0.10, 0.30, 0.28, 0.19, 0.13), 0.49),
    "fliggy": ((0.26, 0.42, 0.20, 0.08, 0.04), 0.58),
    "mafengwo": ((0.28, 0.44, 0.18, 0.07, 0.03), 0.60),
    "waze": ((0.08, 0.30, 0.32, 0.20, 0.10), 0.30),
    "amap": ((0.14, 0.30, 0.28, 0.17, 0.11), 0.44),
    "metro_taipei": ((0.28, 0.32, 0.18, 0.12, 0.10), 0.55),
    "taipei_bus": ((0.30, 0.26, 0.16, 0.13, 0.15), 0.56),
    "keep": ((0.28, 0.40, 0.20, 0.08, 0.04), 0.58),
    "strava": ((0.12, 0.38, 0.30, 0.14, 0.06), 0.32),
    "nike_run_club": ((0.22, 0.40, 0.24, 0.10, 0.04), 0.44),
    "nike_training": ((0.28, 0.42, 0.20, 0.07, 0.03), 0.58),
    "myfitnesspal": ((0.20, 0.40, 0.24, 0.11, 0.05), 0.62),
    "garmin_connect": ((0.06, 0.28, 0.34, 0.21, 0.11), 0.30),
    "joyrun": ((0.12, 0.36, 0.32, 0.14, 0.06), 0.36),
    "codoon": ((0.14, 0.34, 0.30, 0.15, 0.07), 0.42),
    "world_gym": ((0.24, 0.42, 0.22, 0.09, 0.03), 0.42),
    "nhi_express": ((0.06, 0.18, 0.24, 0.24, 0.28), 0.55),
    "huawei_health": ((0.10, 0.28, 0.30, 0.19, 0.13), 0.44),
    "meiyou": ((0.25, 0.45, 0.22, 0.06, 0.02), 0.97),
    "flo": ((0.34, 0.44, 0.17, 0.04, 0.01), 0.98),
    "fitbit": ((0.12, 0.34, 0.30, 0.15, 0.09), 0.56),
    "calm": ((0.24, 0.40, 0.22, 0.09, 0.05), 0.66),
    "jkopay": ((0.18, 0.36, 0.26, 0.13, 0.07), 0.50),
    "line_pay": ((0.14, 0.28, 0.26, 0.18, 0.14), 0.52),
    "easy_wallet": ((0.20, 0.28, 0.24, 0.15, 0.13), 0.52),
    "richart": ((0.28, 0.44, 0.18, 0.07, 0.03), 0.52),
    "line_bank": ((0.24, 0.42, 0.22, 0.09, 0.03), 0.46),
    "alipay": ((0.16, 0.30, 0.27, 0.16, 0.11), 0.50),
    "paypal": ((0.14, 0.36, 0.28, 0.14, 0.08), 0.45),
    "futu": ((0.12, 0.40, 0.30, 0.13, 0.05), 0.30),
    "tiger": ((0.12, 0.42, 0.30, 0.12, 0.04), 0.28),
    "binance": ((0.28, 0.44, 0.19, 0.07, 0.02), 0.15),
    "tradingview": ((0.22, 0.40, 0.24, 0.10, 0.04), 0.18),
    "xq": ((0.04, 0.18, 0.30, 0.27, 0.21), 0.28),
    "cmoney": ((0.06, 0.20, 0.28, 0.26, 0.20), 0.35),
    "dawho": ((0.16, 0.40, 0.26, 0.12, 0.06), 0.44),
    "yahoo_news": ((0.04, 0.12, 0.22, 0.28, 0.34), 0.46),
    "line_today": ((0.05, 0.14, 0.23, 0.27, 0.31), 0.50),
    "toutiao": ((0.06, 0.18, 0.26, 0.26, 0.24), 0.40),
    "cw": ((0.06, 0.24, 0.30, 0.24, 0.16), 0.48),
    "readmoo": ((0.14, 0.34, 0.28, 0.15, 0.09), 0.62),
    "books_com_tw": ((0.16, 0.32, 0.27, 0.15, 0.10), 0.62),
    "kindle": ((0.14, 0.36, 0.28, 0.14, 0.08), 0.54),
    "qidian": ((0.46, 0.34, 0.13, 0.05, 0.02), 0.28),
    "fanqie": ((0.16, 0.26, 0.24, 0.18, 0.16), 0.52),
    "himalaya": ((0.12, 0.32, 0.30, 0.16, 0.10), 0.50),
    "dedao": ((0.10, 0.38, 0.34, 0.13, 0.05), 0.46),
    "wechat_read": ((0.26, 0.38, 0.22, 0.09, 0.05), 0.52),
    "duolingo": ((0.30, 0.36, 0.20, 0.09, 0.05), 0.58),
    "hahow": ((0.18, 0.46, 0.24, 0.09, 0.03), 0.55),
    "coursera": ((0.34, 0.40, 0.16, 0.07, 0.03), 0.46),
    "junyi": ((0.50, 0.18, 0.22, 0.07, 0.03), 0.55),
    # Homework helpers are opened by students and by the parents checking their homework.
    "zuoyebang": ((0.30, 0.16, 0.36, 0.14, 0.04), 0.58),
    "yuanfudao": ((0.20, 0.18, 0.44, 0.14, 0.04), 0.64),
    "chaoxing": ((0.78, 0.14, 0.05, 0.02, 0.01), 0.54),
    "baicizhan": ((0.66, 0.24, 0.07, 0.02, 0.01), 0.58),
    "google_classroom": ((0.52, 0.20, 0.20, 0.06, 0.02), 0.58),
    "honor_of_kings": ((0.42, 0.36, 0.14, 0.06, 0.02), 0.45),
    "arena_of_valor": ((0.44, 0.36, 0.13, 0.05, 0.02), 0.35),
    "peace_elite": ((0.40, 0.38, 0.15, 0.05, 0.02), 0.30),
    "genshin": ((0.48, 0.36, 0.11, 0.04, 0.01), 0.42),
    "star_rail": ((0.46, 0.38, 0.12, 0.03, 0.01), 0.44),
    "identity_v": ((0.60, 0.28, 0.08, 0.03, 0.01), 0.56),
    "lineage_m": ((0.06, 0.30, 0.40, 0.18, 0.06), 0.15),
    "pokemon_go": ((0.14, 0.32, 0.28, 0.16, 0.10), 0.42),
    "fgo": ((0.34, 0.46, 0.15, 0.04, 0.01), 0.30),
    "candy_crush": ((0.08, 0.18, 0.26, 0.24, 0.24), 0.68),
    "happy_elimination": ((0.08, 0.20, 0.26, 0.24, 0.22), 0.64),
    "star31": ((0.05, 0.14, 0.24, 0.27, 0.30), 0.48),
    "happy_landlord": ((0.10, 0.22, 0.26, 0.22, 0.20), 0.40),
    "eggy_party": ((0.55, 0.25, 0.12, 0.05, 0.03), 0.58),
    "subway_surfers": ((0.50, 0.24, 0.16, 0.06, 0.04), 0.46),
    "meitu": ((0.40, 0.34, 0.16, 0.07, 0.03), 0.74),
    "beautycam": ((0.40, 0.36, 0.15, 0.06, 0.03), 0.80),
    "b612": ((0.52, 0.30, 0.12, 0.04, 0.02), 0.70),
    "snow": ((0.52, 0.30, 0.12, 0.04, 0.02), 0.70),
    "lightroom": ((0.22, 0.42, 0.22, 0.10, 0.04), 0.44),
    "snapseed": ((0.22, 0.38, 0.24, 0.11, 0.05), 0.46),
    "jianying": ((0.30, 0.36, 0.20, 0.09, 0.05), 0.52),
    "capcut": ((0.40, 0.34, 0.16, 0.07, 0.03), 0.54),
    "google_photos": ((0.16, 0.28, 0.25, 0.17, 0.14), 0.52),
    "watsons": ((0.22, 0.36, 0.24, 0.12, 0.06), 0.80),
    "cosmed": ((0.22, 0.36, 0.24, 0.12, 0.06), 0.81),
    "poya": ((0.26, 0.36, 0.22, 0.11, 0.05), 0.82),
    "soyoung": ((0.28, 0.44, 0.20, 0.06, 0.02), 0.88),
    "gengmei": ((0.28, 0.44, 0.20, 0.06, 0.02), 0.87),
    "youcam_makeup": ((0.40, 0.36, 0.16, 0.06, 0.02), 0.90),
    "parenting_cw": ((0.02, 0.30, 0.48, 0.15, 0.05), 0.78),
    "babycenter": ((0.07, 0.54, 0.32, 0.05, 0.02), 0.84),
    "notion": ((0.30, 0.46, 0.17, 0.05, 0.02), 0.52),
    "slack": ((0.14, 0.50, 0.26, 0.08, 0.02), 0.45),
    "microsoft_teams": ((0.20, 0.40, 0.26, 0.11, 0.03), 0.47),
    "gmail": ((0.20, 0.30, 0.24, 0.15, 0.11), 0.49),
    "dingtalk": ((0.20, 0.36, 0.28, 0.12, 0.04), 0.48),
    "feishu": ((0.20, 0.50, 0.22, 0.06, 0.02), 0.46),
    "camscanner": ((0.40, 0.34, 0.16, 0.07, 0.03), 0.52),
    "tinder": ((0.36, 0.44, 0.14, 0.05, 0.01), 0.28),
    "pairs": ((0.22, 0.50, 0.20, 0.06, 0.02), 0.40),
    "bumble": ((0.28, 0.50, 0.16, 0.05, 0.01), 0.46),
    "tantan": ((0.42, 0.40, 0.13, 0.04, 0.01), 0.30),
    "momo_social": ((0.28, 0.40, 0.20, 0.09, 0.03), 0.30),
    "soul": ((0.50, 0.38, 0.09, 0.02, 0.01), 0.48),
    "house591": ((0.24, 0.42, 0.20, 0.09, 0.05), 0.55),
    "ikea": ((0.10, 0.38, 0.31, 0.14, 0.07), 0.64),
    "mi_home": ((0.16, 0.40, 0.28, 0.11, 0.05), 0.38),
    "smart_life": ((0.10, 0.36, 0.32, 0.15, 0.07), 0.40),
    "xiachufang": ((0.18, 0.38, 0.26, 0.12, 0.06), 0.72),
    "icook": ((0.10, 0.32, 0.30, 0.17, 0.11), 0.75),
    "cookpad": ((0.12, 0.34, 0.30, 0.15, 0.09), 0.74),
    "autohome": ((0.06, 0.32, 0.34, 0.19, 0.09), 0.18),
    "dongchedi": ((0.10, 0.34, 0.30, 0.17, 0.09), 0.20),
    "car8891": ((0.08, 0.32, 0.32, 0.18, 0.10), 0.20),
    "gogoro": ((0.20, 0.40, 0.24, 0.11, 0.05), 0.42),
    "tesla": ((0.04, 0.28, 0.38, 0.20, 0.10), 0.20),
    "job104": ((0.22, 0.42, 0.22, 0.10, 0.04), 0.54),
    "linkedin": ((0.14, 0.48, 0.26, 0.09, 0.03), 0.47),
    "boss_zhipin": ((0.32, 0.42, 0.18, 0.06, 0.02), 0.46),
    "maimai": ((0.16, 0.52, 0.24, 0.06, 0.02), 0.40),
    "cakeresume": ((0.28, 0.52, 0.15, 0.04, 0.01), 0.50),
    "dianping": ((0.22, 0.42, 0.22, 0.09, 0.05), 0.58),
    "ifoodie": ((0.26, 0.42, 0.20, 0.08, 0.04), 0.62),
    "openrice": ((0.20, 0.40, 0.24, 0.10, 0.06), 0.58),
    "tripadvisor": ((0.10, 0.32, 0.28, 0.18, 0.12), 0.52),
    "cpbltv": ((0.18, 0.30, 0.24, 0.16, 0.12), 0.38),
    "elta": ((0.16, 0.30, 0.26, 0.17, 0.11), 0.30),
    "nba": ((0.34, 0.36, 0.18, 0.08, 0.04), 0.15),
    "hupu": ((0.32, 0.44, 0.16, 0.06, 0.02), 0.08),
    "dongqiudi": ((0.34, 0.42, 0.16, 0.06, 0.02), 0.10),
    "bahamut_ani": ((0.50, 0.34, 0.11, 0.04, 0.01), 0.40),
    "bahamut": ((0.46, 0.36, 0.13, 0.04, 0.01), 0.28),
    "kuaikan": ((0.64, 0.24, 0.08, 0.03, 0.01), 0.66),
    "webtoon": ((0.44, 0.34, 0.14, 0.06, 0.02), 0.58),
    "bilibili_comics": ((0.56, 0.30, 0.10, 0.03, 0.01), 0.50),
    "bookwalker": ((0.34, 0.42, 0.17, 0.05, 0.02), 0.44),
    "youtube_kids": ((0.04, 0.34, 0.46, 0.11, 0.05), 0.64),
}

# New or niche apps with too small a panel to publish audience shares; they have no rows in app_audience.csv.
NO_AUDIENCE: frozenset[str] = frozenset(
    {
        "lemon8", "likee", "streetvoice", "wemo", "goshare", "irent", "zwift", "komoot", "relive", "pubu",
        "cambly", "monopoly_go", "huckleberry", "pregnancy_plus", "tractive", "petcube", "hinge", "haohaozhu",
        "nio", "xpeng", "li_auto", "teld", "star_charge", "xiaoju_charge", "plugshare", "yourator", "inline",
        "fotmob", "manga_plus", "lingokids",
    }
)  # fmt: skip

# (name, description, size, aliases, space-separated app ids in order of fit). Ids seg_001… follow this order.
SEGMENTS: tuple[tuple[str, str, int, str, str], ...] = (
    (
        "Fitness enthusiasts in Taipei",
        "Taipei adults who train at the gym or run several times a week and track their workouts.",
        185_000,
        "台北健身愛好者|台北健身爱好者|健身愛好者|健身爱好者|fitness fans|gym",
        "world_gym nike_run_club strava garmin_connect keep myfitnesspal nike_training instagram adidas_running "
        "uber_eats",
    ),
    (
        "New parents in Taiwan",
        "Taiwanese parents of babies and toddlers who shop online for baby goods and read parenting content.",
        240_000,
        "台灣新手爸媽|台湾新手爸妈|新手爸媽|新手爸妈|new parents|young parents",
        "babyhome mamibuy parenting_cw babycenter momo pchome huckleberry pinkfong line shopee",
    ),
    (
        "Expecting and new mothers in mainland China",
        "Mainland women who are pregnant or have a child under three and plan baby care through apps.",
        1_200_000,
        "中國準媽媽與新手媽媽|中国准妈妈与新手妈妈|準媽媽|准妈妈|expecting mothers|new moms",
        "babytree qinbaobao meiyou xiaohongshu dxy babybus taobao jd pinduoduo douyin",
    ),
    (
        "Mobile gamers",
        "Taiwanese players who spend time daily on competitive and role-playing mobile games.",
        820_000,
        "手遊玩家|手游玩家|gamers|mobile gaming",
        "arena_of_valor lineage_m genshin pubg_mobile star_rail bahamut discord fgo pokemon_go twitch",
    ),
    (
        "Mobile gamers in mainland China",
        "Mainland players of the big competitive and open-world titles who also watch game live streams.",
        2_800_000,
        "中國手遊玩家|中国手游玩家|mainland gamers|China gamers",
        "honor_of_kings peace_elite genshin star_rail identity_v eggy_party huya douyu bilibili tieba",
    ),
    (
        "Beauty shoppers",
        "Shoppers who research and buy skincare and makeup regularly, online and at drugstores.",
        460_000,
        "美妝購物族|美妆购物族|beauty shoppers|makeup lovers",
        "cosme watsons cosmed poya youcam_makeup sephora xiaohongshu instagram shopee momo",
    ),
    (
        "Business travellers",
        "Professionals who fly or take the high-speed rail for work at least monthly.",
        150_000,
        "商務旅客|商务旅客|business travelers|frequent flyers",
        "booking eva_air china_airlines agoda thsr uber linkedin outlook google_maps trip",
    ),
    (
        "University students",
        "Taiwanese undergraduates who live on campus or in shared rentals.",
        520_000,
        "大學生|大学生|college students|students",
        "dcard instagram youbike foodpanda spotify threads notion duolingo netflix google_classroom",
    ),
    (
        "University students in mainland China",
        "Mainland undergraduates preparing for exams while keeping up with campus and online life.",
        2_600_000,
        "中國大學生|中国大学生|mainland students|China college students",
        "chaoxing baicizhan bilibili youdao netease_music zhihu xiaohongshu meituan honor_of_kings eleme",
    ),
    (
        "Pet owners",
        "Cat and dog owners who use smart pet devices and buy pet supplies online.",
        310_000,
        "寵物飼主|宠物饲主|pet owners|pet parents",
        "petkit furbo boqii tractive petcube xiaohongshu instagram shopee taobao youtube",
    ),
    (
        "Home cooks & food lovers",
        "People who cook at home several times a week and look for recipes and good restaurants.",
        380_000,
        "居家料理愛好者|居家料理爱好者|home cooks|foodies",
        "icook cookpad ifoodie xiachufang eztable openrice instagram youtube tabelog uber_eats",
    ),
    (
        "Retail investors",
        "Taiwanese individual investors who trade listed stocks and ETFs from their phones.",
        640_000,
        "散戶投資人|散户投资人|retail investors|stock traders",
        "cmoney xq yuanta yahoo_stock dawho tradingview richart ptt line_today cathay_cube",
    ),
    (
        "Anime & comics fans",
        "Fans of Japanese anime, manga and webtoons who watch new episodes as soon as they air.",
        290_000,
        "動漫迷|动漫迷|anime fans|otaku|ACG fans",
        "bahamut_ani bahamut webtoon bookwalker crunchyroll bilibili manga_plus fgo kuaikan plurk",
    ),
    (
        "Young professionals in Shanghai",
        "Shanghai office workers in their twenties and early thirties with busy schedules and city lifestyles.",
        900_000,
        "上海年輕白領|上海年轻白领|Shanghai white-collar|young professionals SH",
        "wecom feishu xiaohongshu luckin meituan dianping didi keep maimai eleme",
    ),
    (
        "K-drama & streaming bingers",
        "Viewers who binge-watch Korean and Asian dramas across several streaming services.",
        430_000,
        "韓劇追劇族|韩剧追剧族|K-drama fans|bingers",
        "netflix line_tv friday_video kktv iqiyi catchplay disney_plus myvideo hami_video dcard",
    ),
    (
        "Outdoor & cycling fans",
        "Road cyclists and hikers who plan and log rides and routes.",
        95_000,
        "戶外與單車愛好者|户外与单车爱好者|cyclists|outdoor lovers",
        "strava garmin_connect komoot relive zwift youbike google_maps instagram nike_run_club",
    ),
    (
        "Car owners in mainland China",
        "Mainland drivers who follow new models, compare prices and book car maintenance through apps.",
        1_500_000,
        "中國車主|中国车主|car owners|drivers",
        "autohome dongchedi yiche tuhu amap baidu_maps toutiao douyin wechat alipay",
    ),
    (
        "Job seekers",
        "Taiwanese people actively looking for a new job or their first job.",
        350_000,
        "求職者|求职者|job seekers|job hunters",
        "job104 job1111 cakeresume yourator job518 linkedin indeed dcard ptt gmail",
    ),
    (
        "Online shoppers in Taiwan",
        "Taiwanese consumers who buy online several times a month and chase platform promotions.",
        1_900_000,
        "台灣網購族|台湾网购族|網購族|网购族|online shoppers|e-shoppers",
        "shopee momo pchome coupang yahoo_shopping ruten line_pay jkopay carousell temu",
    ),
    (
        "Food delivery regulars in Taipei",
        "Taipei residents who order delivered meals and drinks several times a week.",
        560_000,
        "台北外送族|台北外卖族|外送族|外卖族|delivery regulars|takeout fans",
        "foodpanda uber_eats mcdonalds starbucks line_pay jkopay ifoodie netflix line youtube",
    ),
    (
        "Value shoppers in smaller Chinese cities",
        "Price-conscious consumers in third- and fourth-tier cities who shop, watch and play on their phones.",
        3_000_000,
        "下沉市場用戶|下沉市场用户|small-town shoppers|value shoppers",
        "pinduoduo kuaishou xigua toutiao fanqie happy_elimination happy_landlord taobao douyin wechat",
    ),
    (
        "Music lovers",
        "Listeners who stream music for hours a day and follow new releases and indie artists.",
        480_000,
        "音樂愛好者|音乐爱好者|music lovers|music fans",
        "spotify kkbox streetvoice apple_music youtube_music line_music instagram threads netease_music dcard",
    ),
    (
        "Language learners",
        "Adults studying English or Japanese in their spare time to advance their careers.",
        260_000,
        "語言學習者|语言学习者|language learners|English learners",
        "duolingo cambly voicetube quizlet youdao baicizhan hahow coursera youtube notion",
    ),
    (
        "Casual gamers aged 45+",
        "Middle-aged and older players of puzzle, mahjong and match-three games.",
        700_000,
        "中高齡休閒玩家|中高龄休闲玩家|casual gamers|puzzle players",
        "star31 candy_crush gardenscapes homescapes royal_match line facebook line_today yahoo_news youtube",
    ),
    (
        "Health-conscious seniors",
        "Taiwanese adults over 55 who manage their health records and stay in touch with family on their phones.",
        880_000,
        "銀髮族|银发族|seniors|silver generation",
        "nhi_express line line_today yahoo_news youtube facebook taiwan_taxi google_maps star31 tra",
    ),
    (
        "Working parents with school-age kids",
        "Working mothers and fathers in Taiwan juggling jobs with their children's schooling.",
        420_000,
        "職場爸媽|职场爸妈|working parents|busy parents",
        "parenting_cw junyi youtube_kids google_classroom momo line facebook icook toca_boca shopee",
    ),
    (
        "Crypto & US-stock traders",
        "Active traders of crypto assets and US stocks who follow markets in real time.",
        120_000,
        "加密貨幣交易者|加密货币交易者|crypto traders|US stock traders",
        "binance tradingview futu tiger telegram twitter discord dawho richart line_bank",
    ),
    (
        "Baseball & basketball fans in Taiwan",
        "Taiwanese fans who watch CPBL baseball and NBA games live and follow the scores.",
        330_000,
        "台灣球迷|台湾球迷|sports fans|baseball fans",
        "cpbltv elta nba ptt fotmob espn line_today youtube twitch yahoo_news",
    ),
    (
        "Football fans in mainland China",
        "Mainland fans who follow European football leagues and talk about matches online.",
        1_100_000,
        "中國足球迷|中国足球迷|football fans|soccer fans",
        "dongqiudi hupu migu_video tencent_sports weibo douyin zhihu bilibili toutiao taobao",
    ),
    (
        "Singles on dating apps in Taiwan",
        "Single Taiwanese adults in their twenties and thirties who date through apps.",
        210_000,
        "台灣單身族|台湾单身族|singles|daters",
        "tinder pairs bumble coffee_meets_bagel hinge instagram dcard spotify line uber_eats",
    ),
    (
        "Young singles in mainland China",
        "Mainland singles under thirty who meet new people through social and dating apps.",
        1_400_000,
        "中國年輕單身族|中国年轻单身族|young singles|China singles",
        "soul tantan momo_social xiaohongshu douyin netease_music bilibili weibo meituan wechat",
    ),
    (
        "Home buyers & renters in Taiwan",
        "Taiwanese adults looking for a home to buy or rent and furnishing a new place.",
        270_000,
        "台灣購屋租屋族|台湾购屋租屋族|home seekers|renters",
        "house591 sinyi yungching ikea hola smart_life mi_home google_maps line momo",
    ),
    (
        "Home buyers in mainland China",
        "Mainland families buying or renovating a home in a tier-one or tier-two city.",
        800_000,
        "中國購房族|中国购房族|home buyers|homeowners",
        "beike lianjia anjuke haohaozhu ikea mi_home xiaohongshu jd amap dianping",
    ),
    (
        "Independent leisure travellers",
        "Taiwanese holidaymakers who plan and book their own trips to Japan, Korea and Southeast Asia.",
        670_000,
        "自由行旅客|independent travelers|backpackers",
        "klook kkday agoda booking skyscanner airbnb trip google_maps tabelog instagram",
    ),
    (
        "Chinese outbound tourists",
        "Mainland travellers planning holidays abroad and sharing their trips online.",
        1_300_000,
        "出境遊旅客|出境游旅客|outbound tourists|China travellers",
        "ctrip fliggy qunar mafengwo xiaohongshu tongcheng alipay dianping amap airbnb",
    ),
    (
        "Startup & remote workers",
        "Knowledge workers at startups and distributed teams who live in collaboration tools.",
        110_000,
        "新創與遠端工作者|新创与远端工作者|remote workers|startup people",
        "notion slack zoom google_drive gmail linkedin microsoft_teams office yourator evernote",
    ),
    (
        "Short-video creators",
        "People who shoot, edit and post short videos and photo posts several times a week.",
        340_000,
        "短影音創作者|短视频创作者|content creators|creators",
        "capcut jianying douyin tiktok instagram xingtu meitu vsco lightroom youtube",
    ),
    (
        "Book lovers in Taiwan",
        "Taiwanese readers who buy books and e-books every month.",
        160_000,
        "台灣愛書人|台湾爱书人|bookworms|readers",
        "readmoo books_com_tw kobo kindle pubu bookwalker cw threads dcard spotify",
    ),
    (
        "Web-novel readers in mainland China",
        "Mainland readers of serialised online fiction and audiobooks.",
        2_200_000,
        "網文讀者|网文读者|web novel readers|novel readers",
        "qidian fanqie wechat_read himalaya douban zhihu kuaikan bilibili dedao tieba",
    ),
    (
        "EV owners in mainland China",
        "Owners of new-energy cars who charge at public stations and follow the EV brands' communities.",
        42_000,
        "中國電動車車主|中国电动车车主|EV owners|NEV owners",
        "nio li_auto xpeng teld star_charge tesla xiaoju_charge dongchedi amap autohome",
    ),
    (
        "Scooter & sharing commuters in Taipei",
        "Taipei commuters who combine electric scooters, shared bikes and the metro.",
        230_000,
        "台北通勤族|commuters|scooter riders",
        "gogoro wemo goshare youbike metro_taipei taipei_bus irent google_maps line_pay jkopay",
    ),
    (
        "Medical aesthetics & skincare seekers",
        "Mainland women who research cosmetic treatments and premium skincare.",
        380_000,
        "醫美愛好者|医美爱好者|medical aesthetics|skincare seekers",
        "soyoung gengmei xiaohongshu meitu beautycam tmall vipshop weibo dewu douyin",
    ),
    (
        "Education-focused parents in mainland China",
        "Mainland parents of primary-school children who invest in after-school learning.",
        1_600_000,
        "中國重視教育的家長|中国重视教育的家长|education-focused parents|tiger parents",
        "yuanfudao zuoyebang babybus xiaobanlong hongen qinbaobao xiaohongshu jd wechat pinduoduo",
    ),
)

CATEGORIES: tuple[str, ...] = tuple(CATEGORY_PRIORS)
_APP_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _split(aliases: str) -> list[str]:
    return [a for a in aliases.split("|") if a]


def check_sources() -> None:
    """Fail loudly on an inconsistent table before anything is written."""
    ids = [a[0] for a in APPS]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    if dupes:
        raise ValueError(f"duplicate app ids: {dupes}")
    known = set(ids)
    seen: dict[str, str] = {}
    for app_id, name, category, aliases, reach in APPS:
        if not _APP_ID.match(app_id):
            raise ValueError(f"{app_id}: app ids are lowercase ascii slugs")
        if category not in CATEGORY_PRIORS:
            raise ValueError(f"{app_id}: unknown category {category!r}")
        if reach is not None and not 0.005 <= reach <= 0.95:
            raise ValueError(f"{app_id}: implausible reach {reach}")
        for label in (name, *_split(aliases)):
            key = _key(label)
            if key in seen:
                raise ValueError(f"{label!r} names both {seen[key]} and {app_id}")
            seen[key] = app_id
    per_category = Counter(a[2] for a in APPS)
    thin = [c for c in CATEGORIES if per_category[c] < 3]
    if thin:
        raise ValueError(f"categories with fewer than 3 apps: {thin}")
    for table, label in ((APP_SKEWS, "APP_SKEWS"), (NO_AUDIENCE, "NO_AUDIENCE")):
        stray = set(table) - known
        if stray:
            raise ValueError(f"{label} names unknown apps: {sorted(stray)}")
    segment_labels: dict[str, str] = {}
    for name, _desc, size, aliases, apps in SEGMENTS:
        app_ids = apps.split()
        for key in {_key(label) for label in (name, *_split(aliases))}:
            if key in segment_labels:
                raise ValueError(f"{key!r} names both segments {segment_labels[key]!r} and {name!r}")
            segment_labels[key] = name
        if not 20_000 <= size <= 3_000_000:
            raise ValueError(f"{name}: size {size} out of range")
        if not 8 <= len(app_ids) <= 12 or len(set(app_ids)) != len(app_ids):
            raise ValueError(f"{name}: needs 8-12 distinct apps")
        missing = set(app_ids) - known
        if missing:
            raise ValueError(f"{name}: unknown apps {sorted(missing)}")


def _normalise(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    return [w / total for w in weights]


def _rounded(shares: Sequence[float]) -> list[str]:
    # Four decimals with the last bucket absorbing the rounding, so every distribution sums to exactly 1.0000.
    units = [round(s * 10_000) for s in shares[:-1]]
    units.append(10_000 - sum(units))
    if units[-1] < 0:
        raise ValueError(f"rounding broke the distribution {shares}")
    return [f"{u / 10_000:.4f}" for u in units]


def app_audience(app_id: str, category: str) -> dict[str, list[float]]:
    """Age and gender shares of one app: category prior, per-app skew, then seeded noise."""
    age, female = CATEGORY_PRIORS[category]
    skew_age, skew_female = APP_SKEWS.get(app_id, (None, None))
    age = skew_age or age
    female = skew_female if skew_female is not None else female
    # Seeded per app, so adding an app to the table leaves every other app's numbers unchanged.
    rng = random.Random(f"{SEED}:audience:{app_id}")
    noisy_age = _normalise([w * rng.uniform(0.9, 1.1) for w in age])
    noisy_female = min(0.98, max(0.02, female + rng.uniform(-0.025, 0.025)))
    return {"age": noisy_age, "gender": [noisy_female, 1.0 - noisy_female]}


def segment_confidences(segment_id: str, count: int) -> list[float]:
    """Strictly descending confidences from a high top score down to a spread-out tail, within 0.45–0.98."""
    rng = random.Random(f"{SEED}:segment:{segment_id}")
    top = rng.uniform(0.86, 0.98)
    bottom = rng.uniform(0.46, 0.62)
    gaps = _normalise([rng.uniform(0.6, 1.4) for _ in range(count - 1)])
    values = [top]
    for gap in gaps:
        values.append(values[-1] - gap * (top - bottom))
    out: list[float] = []
    for value in values:
        rounded = round(value, 2)
        if out and rounded >= out[-1]:
            rounded = round(out[-1] - 0.01, 2)
        out.append(max(0.45, rounded))
    return out


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _readme(n_apps: int, n_segments: int, n_without: int) -> str:
    categories = textwrap.fill("Categories: " + ", ".join(CATEGORIES) + ".", width=112)
    return f"""# Synthetic sample data — not real measurements

The apps below are real products and their names, aliases and categories are meant to be accurate, but every
number in these files — reach, audience shares, segment sizes and confidences — is synthetic. The numbers are
plausible by construction (category priors, known skews of individual apps, a little seeded noise); they are not
survey or panel results and must not be quoted as facts about any app or audience.

Regenerate with `python scripts/make_sample_data.py [OUT_DIR]`; the output is deterministic, so re-running it
over this directory changes nothing unless the script changed.

## Contents

{n_apps} apps in {len(CATEGORIES)} categories and {n_segments} segments. {n_without} apps deliberately have no
audience rows (new or niche apps, as in any real panel), and "EV owners in mainland China" is a segment whose apps
mostly lack them, so pooled demographics there have to be estimated.

- `apps.csv` — app_id, name, category, aliases, reach. Aliases are `|`-separated; reach is the share (0–1) of
  the app's main market that uses it, empty when unknown.
- `app_audience.csv` — app_id, dimension, bucket, share. Dimension `age` (18-24, 25-34, 35-44, 45-54, 55+) or
  `gender` (female, male); the shares of one app and dimension sum to exactly 1.
- `population.csv` — dimension, bucket, share. Baseline of all internet users aged 18+.
- `segments.csv` — segment_id, name, description, size, aliases. Aliases are the segment's Chinese names in
  Traditional and Simplified script plus short English names.
- `segment_apps.csv` — segment_id, app_id, confidence. Each segment's top apps, confidence 0–1, highest first.

App names follow the home market: Simplified Chinese for mainland apps, Traditional Chinese for Taiwanese apps,
English for global apps; the other script and the romanised name are aliases. No name or alias is shared by two
apps (compared case-insensitively after NFKC normalisation).

{categories}
"""


def build(out_dir: Path) -> None:
    check_sources()
    out_dir.mkdir(parents=True, exist_ok=True)

    _write(
        out_dir / "apps.csv",
        ("app_id", "name", "category", "aliases", "reach"),
        (
            (app_id, name, category, "|".join(_split(aliases)), "" if reach is None else f"{reach:.3f}")
            for app_id, name, category, aliases, reach in APPS
        ),
    )

    audience_rows: list[tuple[str, str, str, str]] = []
    for app_id, _name, category, _aliases, _reach in APPS:
        if app_id in NO_AUDIENCE:
            continue
        shares = app_audience(app_id, category)
        for dimension, buckets in (("age", AGE_BUCKETS), ("gender", GENDER_BUCKETS)):
            for bucket, share in zip(buckets, _rounded(shares[dimension]), strict=True):
                audience_rows.append((app_id, dimension, bucket, share))
    _write(out_dir / "app_audience.csv", ("app_id", "dimension", "bucket", "share"), audience_rows)

    population = [
        *(("age", b, s) for b, s in zip(AGE_BUCKETS, _rounded(POPULATION_AGE), strict=True)),
        *(
            ("gender", b, s)
            for b, s in zip(GENDER_BUCKETS, _rounded((POPULATION_FEMALE, 1 - POPULATION_FEMALE)), strict=True)
        ),
    ]
    _write(out_dir / "population.csv", ("dimension", "bucket", "share"), population)

    segment_rows = []
    membership_rows = []
    for index, (name, description, size, aliases, apps) in enumerate(SEGMENTS, start=1):
        app_ids = apps.split()
        segment_id = f"seg_{index:03d}"
        unique_aliases = list(dict.fromkeys(_split(aliases)))
        segment_rows.append((segment_id, name, description, size, "|".join(unique_aliases)))
        for app_id, confidence in zip(app_ids, segment_confidences(segment_id, len(app_ids)), strict=True):
            membership_rows.append((segment_id, app_id, f"{confidence:.2f}"))
    _write(out_dir / "segments.csv", ("segment_id", "name", "description", "size", "aliases"), segment_rows)
    _write(out_dir / "segment_apps.csv", ("segment_id", "app_id", "confidence"), membership_rows)

    n_without = sum(1 for a in APPS if a[0] in NO_AUDIENCE)
    (out_dir / "README.md").write_text(_readme(len(APPS), len(SEGMENTS), n_without), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print("usage: python scripts/make_sample_data.py [OUT_DIR]", file=sys.stderr)
        return 2
    out_dir = Path(args[0]) if args else DEFAULT_OUT
    build(out_dir)
    print(f"wrote {len(APPS)} apps and {len(SEGMENTS)} segments to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
